using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Tokenization;

/// <summary>Model inputs as int64 tensors of shape [batch, sequence]. Disposing disposes the three tensors.</summary>
public sealed class AlbertInputTensors : IDisposable
{
    private AlbertInputTensors(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
    }

    /// <summary><c>input_ids</c>, int64 [B, S].</summary>
    public Tensor InputIds { get; }

    /// <summary><c>attention_mask</c>, int64 [B, S]: 1 for tokens, 0 for padding.</summary>
    public Tensor AttentionMask { get; }

    /// <summary><c>token_type_ids</c>, int64 [B, S]: 0 for the first segment, 1 for the second.</summary>
    public Tensor TokenTypeIds { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        TokenTypeIds.Dispose();
    }

    internal static AlbertInputTensors Create(IReadOnlyList<AlbertEncoding> rows, Device? device)
    {
        if (rows.Count == 0)
        {
            throw new InvalidOperationException("An empty batch has no tensor form.");
        }

        int length = rows[0].Length;
        for (int r = 1; r < rows.Count; r++)
        {
            if (rows[r].Length != length)
            {
                throw new InvalidOperationException(
                    $"Row {r} has {rows[r].Length} tokens but row 0 has {length}; encode with Padding = PaddingStrategy.Longest or MaxLength.");
            }
        }

        long[] shape = [rows.Count, length];
        return new AlbertInputTensors(
            Build(rows, e => e.Ids, shape, device),
            Build(rows, e => e.Attention, shape, device),
            Build(rows, e => e.TypeIds, shape, device));
    }

    private static Tensor Build(IReadOnlyList<AlbertEncoding> rows, Func<AlbertEncoding, int[]> select, long[] shape, Device? device)
    {
        var data = new long[shape[0] * shape[1]];
        for (int r = 0; r < rows.Count; r++)
        {
            int[] values = select(rows[r]);
            for (int i = 0; i < values.Length; i++)
            {
                data[(r * shape[1]) + i] = values[i];
            }
        }

        return tensor(data, shape, ScalarType.Int64, device);
    }
}
