namespace AlbertGen.Benchmarks;

/// <summary>Floating-point operations of one ALBERT forward pass (multiply-add = 2), counting matrix products only.</summary>
internal static class Flops
{
    /// <summary>
    /// FLOPs of <c>AlbertModel</c> on <paramref name="batch"/> × <paramref name="sequence"/> tokens: the E→H mapping,
    /// per layer step the Q/K/V/output projections, the two attention products and the feed-forward block, and the pooler.
    /// </summary>
    public static double AlbertModel(AlbertConfig config, int batch, int sequence)
    {
        double tokens = (double)batch * sequence;
        double h = config.HiddenSize, e = config.EmbeddingSize, i = config.IntermediateSize;
        double mapping = 2 * e * h * tokens;
        double projections = 2 * 4 * h * h * tokens;       // Q, K, V, dense
        double attention = 2 * 2 * sequence * h * tokens;  // q·kᵀ and p·v over all heads
        double feedForward = 2 * 2 * h * i * tokens;
        double perInnerLayer = projections + attention + feedForward;
        double pooler = 2 * h * h * batch;
        return mapping + (config.NumHiddenLayers * config.InnerGroupNum * perInnerLayer) + pooler;
    }

    /// <summary>FLOPs of an n×n by n×n matrix product.</summary>
    public static double SquareProduct(int n) => 2.0 * n * n * n;
}
