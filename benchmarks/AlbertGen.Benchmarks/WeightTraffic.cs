using AlbertGen.Inference;

namespace AlbertGen.Benchmarks;

/// <summary>
/// Weight bytes one forward pass reads, counted from the session's products: every distinct layer's product weights (and
/// biases) in the bytes per element of the kernel that runs them, times the layer steps that use that layer (ALBERT's
/// shared layers are read once per step), plus the embedding mapping and the pooler, which run in float32 outside the
/// session's kernels. The session does not expose its kernels' packed buffers, so a packed layout's padding is not counted.
/// </summary>
internal static class WeightTraffic
{
    /// <summary>Bytes of weights read by one pass of a model with <paramref name="config"/> on <paramref name="products"/>.</summary>
    public static double BytesPerPass(AlbertConfig config, IReadOnlyList<ProductKernelChoice> products)
    {
        // Layer step i runs every inner layer of group i·groups/layers: each group serves layers/groups steps.
        double stepsPerGroup = (double)config.NumHiddenLayers / config.NumHiddenGroups;
        double layers = products.Sum(p => ((double)p.Outputs * p.Inputs * BytesPerElement(p.Kernel)) + (p.Outputs * 4.0)) * stepsPerGroup;
        double mapping = ((double)config.EmbeddingSize * config.HiddenSize * 4) + (config.HiddenSize * 4);
        double pooler = ((double)config.HiddenSize * config.HiddenSize * 4) + (config.HiddenSize * 4);
        return layers + mapping + pooler;
    }

    /// <summary>
    /// Bytes per weight element of a kernel, from its name: <c>…int8…</c> 1, <c>…bf16…</c>/<c>…fp16…</c> 2, otherwise 4
    /// (float32). Kernel names carry their weights' type by convention (<c>onednn-int8-u7</c>, <c>managed-avx2-fp32</c>).
    /// </summary>
    public static int BytesPerElement(string kernel) =>
        kernel.Contains("int8", StringComparison.Ordinal) ? 1
        : kernel.Contains("bf16", StringComparison.Ordinal) || kernel.Contains("fp16", StringComparison.Ordinal) ? 2
        : 4;

    /// <summary>Whether any product runs on an int8 kernel.</summary>
    public static bool AnyInt8(IReadOnlyList<ProductKernelChoice> products) => products.Any(p => BytesPerElement(p.Kernel) == 1);

    /// <summary>The distinct kernels of the products, with how many products each runs, e.g. <c>onednn-packed-fp32 ×4</c>.</summary>
    public static string KernelSummary(IReadOnlyList<ProductKernelChoice> products) =>
        string.Join(", ", products.GroupBy(p => p.Kernel).Select(g => $"{g.Key} ×{g.Count()} ({string.Join('/', g.Select(p => p.Product).Distinct())})"));
}
