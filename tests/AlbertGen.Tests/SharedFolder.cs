using System.Reflection;

namespace AlbertGen.Tests;

/// <summary>Records, at build time, where <c>../shared</c> (fixtures, anchors, corpora) is.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class SharedFolderAttribute(string path) : Attribute
{
    public string Path { get; } = path;
}

/// <summary>Paths into the read-only shared folder that lies beside the repository.</summary>
public static class SharedFolder
{
    public static string Root { get; } =
        typeof(SharedFolder).Assembly.GetCustomAttribute<SharedFolderAttribute>()!.Path;

    public static string Fixtures => System.IO.Path.Combine(Root, "fixtures");

    public static string Anchor => System.IO.Path.Combine(Root, "anchors", "albert-base-v2-random");

    public static string Model(string name) => System.IO.Path.Combine(Fixtures, "models", name);

    public static string Tokenizer => System.IO.Path.Combine(Fixtures, "tokenizer");
}
