namespace AlbertGen.Inference.Managed;

/// <summary>
/// ALBERT's pooler in managed code, <c>tanh(W·h₀ + b)</c> on the first position of each sequence, reading the model's
/// weight <c>[H, H]</c> as it is (one dot product per output: a pass pools only a few rows, so packing would not pay).
/// Done here so a fused pass ends without libtorch calls, as it begins (<see cref="FusedEmbeddings"/>).
/// </summary>
internal static unsafe class FusedPooler
{
    /// <summary><c>output[b, n] = tanh(bias[n] + Σ_k weight[n, k]·hidden[b·S, k])</c> for every sequence b.</summary>
    public static void Run(float* hidden, int batch, int seq, int width, float* weight, float* bias, float* output)
    {
        for (int b = 0; b < batch; b++)
        {
            float* first = hidden + ((long)b * seq * width);
            float* target = output + ((long)b * width);
            for (int n = 0; n < width; n++)
            {
                target[n] = MathF.Tanh(RowMath.Dot(weight + ((long)n * width), first, width) + bias[n]);
            }
        }
    }
}
