// netstandard2.0 lacks the marker type that C# `init` accessors need; the compiler accepts any definition.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}
