using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace AlbertGen.Generators.Diagnostics
{
    /// <summary>
    /// A source location as plain values: a <see cref="Location"/> holds its syntax tree, which would keep old
    /// compilations alive and defeat the incremental cache, so specs carry this instead.
    /// </summary>
    internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        /// <summary>
        /// The location: on the syntax tree of <paramref name="compilation"/> with this path when there is one (so that
        /// <c>#pragma warning disable</c> applies), else as a file location (additional files such as config.json).
        /// </summary>
        public Location ToLocation(Compilation? compilation = null)
        {
            if (compilation != null)
            {
                foreach (SyntaxTree tree in compilation.SyntaxTrees)
                {
                    if (tree.FilePath == FilePath && Span.End <= tree.Length)
                    {
                        return Location.Create(tree, Span);
                    }
                }
            }

            return Location.Create(FilePath, Span, LineSpan);
        }

        public static LocationInfo? From(Location? location)
        {
            if (location is null || location.SourceTree is null)
            {
                return null;
            }

            FileLinePositionSpan lines = location.GetLineSpan();
            return new LocationInfo(lines.Path, location.SourceSpan, lines.Span);
        }
    }
}
