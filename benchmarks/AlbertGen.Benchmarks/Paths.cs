using System.Reflection;

namespace AlbertGen.Benchmarks;

/// <summary>Where the shared anchor, the fixtures and the repository's model configs are (baked in at build time).</summary>
internal static class Paths
{
    private static string Metadata(string key) =>
        typeof(Paths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata '{key}' is missing.");

    /// <summary>The read-only shared folder (<c>../shared</c> beside the repository), or <c>ALBERTGEN_SHARED</c>.</summary>
    public static string Shared => Environment.GetEnvironmentVariable("ALBERTGEN_SHARED") is { Length: > 0 } s ? s : Metadata("SharedFolder");

    /// <summary>The albert-base-v2-shaped random anchor: <c>config.json</c>, <c>model.safetensors</c>, <c>albert_model.onnx</c>.</summary>
    public static string Anchor => Path.Combine(Shared, "anchors", "albert-base-v2-random");

    /// <summary>The small anchor (the default model's size, random weights), with its ONNX Runtime float32 and int8 models.</summary>
    public static string SmallAnchor => Path.Combine(Shared, "anchors", "albert-small-random");

    /// <summary>The project's default model (trained on Shakespeare, hidden 128).</summary>
    public static string DefaultModel => Path.Combine(RepositoryRoot, "models", "shakespeare");

    /// <summary>The anchor exported to ONNX (AlbertModel outputs).</summary>
    public static string AnchorOnnx => Path.Combine(Anchor, "albert_model.onnx");

    /// <summary>A fixture model directory (<c>tiny</c>, <c>tiny-groups</c>).</summary>
    public static string FixtureModel(string name) => Path.Combine(Shared, "fixtures", "models", name);

    /// <summary>The repository's root folder.</summary>
    public static string RepositoryRoot => Metadata("RepositoryRoot");

    /// <summary>The albert-xxlarge-v2 config of this repository.</summary>
    public static string XxlargeConfig => Path.Combine(RepositoryRoot, "models", "xxlarge-v2");
}
