namespace AlbertGen.Benchmarks;

/// <summary>One batch of random valid token ids with a full attention mask and zero token types, as plain arrays.</summary>
/// <param name="Batch">Batch size B.</param>
/// <param name="Sequence">Sequence length S.</param>
/// <param name="InputIds">Row-major <c>[B, S]</c>: [CLS], random ids, [SEP].</param>
/// <param name="AttentionMask">All ones <c>[B, S]</c>.</param>
/// <param name="TokenTypeIds">All zeros <c>[B, S]</c>.</param>
internal sealed record BatchInputs(int Batch, int Sequence, long[] InputIds, long[] AttentionMask, long[] TokenTypeIds)
{
    private const long Cls = 2, Sep = 3, FirstOrdinaryId = 5;

    /// <summary>The label used in tables and the ratio line, e.g. <c>8x128</c>.</summary>
    public string Label => $"{Batch}x{Sequence}";

    /// <summary>Makes a batch; the same seed gives the same ids in every process.</summary>
    public static BatchInputs Random(int batch, int sequence, int vocabSize, int seed)
    {
        var random = new Random(seed);
        long[] ids = new long[batch * sequence];
        for (int b = 0; b < batch; b++)
        {
            for (int s = 0; s < sequence; s++)
            {
                ids[(b * sequence) + s] = s == 0 ? Cls : s == sequence - 1 ? Sep : random.NextInt64(FirstOrdinaryId, vocabSize);
            }
        }

        long[] mask = new long[ids.Length];
        Array.Fill(mask, 1L);
        return new BatchInputs(batch, sequence, ids, mask, new long[ids.Length]);
    }

    /// <summary>Tokens in the batch.</summary>
    public int Tokens => Batch * Sequence;
}
