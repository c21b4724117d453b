using AlbertGen.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Managed;

/// <summary>
/// ALBERT's embeddings in managed buffers, as <see cref="AlbertEmbeddings.forward"/> computes them in eval mode: the word
/// embedding of each id plus its token type's (plus its position's, with absolute positions), then LayerNorm; and the
/// additive attention mask <c>(1 - mask)·-10000</c>. Done here, straight from the ids, so a fused pass makes no libtorch
/// call before its first product: at 13-16 tokens the eight or so calls of the embeddings and the mask cost as much as a
/// layer of a small model.
/// </summary>
internal static unsafe class FusedEmbeddings
{
    /// <summary>
    /// Writes the normalised embeddings of <paramref name="inputs"/> (<c>[B, S]</c> ids, range-checked by the model's
    /// validation) into <paramref name="output"/> <c>[B·S, E]</c>.
    /// </summary>
    public static void Run(AlbertEmbeddings embeddings, AlbertInputs inputs, int batch, int seq, float* output)
    {
        using var scope = NewDisposeScope();
        Parameter words = embeddings.WordEmbeddingWeight;
        int width = (int)words.shape[1];
        float* word = TensorMemory.Floats(words, "The word embeddings");
        float* type = TensorMemory.Floats(embeddings.TokenTypeEmbeddingWeight, "The token type embeddings");
        float* position = embeddings.AddsPositions ? TensorMemory.Floats(embeddings.PositionEmbeddingWeight, "The position embeddings") : null;
        long* ids = TensorMemory.Longs(Int64(inputs.InputIds!), "The input ids");
        long* types = inputs.TokenTypeIds is { } t ? TensorMemory.Longs(Int64(t), "The token type ids") : null;
        long* positions = null;
        bool positionPerSequence = false;
        if (position is not null && inputs.PositionIds is { } p)
        {
            positions = TensorMemory.Longs(Int64(p), "The position ids");
            positionPerSequence = p.Dimensions == 2 && p.shape[0] == batch && batch > 1;
        }

        LayerNorm norm = embeddings.Norm;
        float* gamma = TensorMemory.Floats(norm.weight!, "The embeddings' LayerNorm weight");
        float* beta = TensorMemory.Floats(norm.bias!, "The embeddings' LayerNorm bias");
        float eps = (float)norm.eps;
        for (int b = 0; b < batch; b++)
        {
            for (int s = 0; s < seq; s++)
            {
                long row = ((long)b * seq) + s;
                float* target = output + (row * width);
                float* w = word + (ids[row] * width);
                float* ty = type + ((types is null ? 0 : types[row]) * width);
                float* pos = position is null ? null : position + ((positions is null ? s : positions[positionPerSequence ? row : s]) * width);
                // The model's order of additions: (word + type) + position.
                RowMath.Add(w, ty, target, width);
                if (pos is not null)
                {
                    RowMath.Add(target, pos, target, width);
                }

                RowMath.LayerNorm(target, target, width, gamma, beta, eps);
            }
        }
    }

    /// <summary>
    /// The additive mask <c>[B, S]</c> of <paramref name="attentionMask"/> (<c>[B, S]</c>), <c>(1 - m)·-10000</c> in float32
    /// with the model's operations in the model's order; into <paramref name="output"/>.
    /// </summary>
    public static void Mask(Tensor attentionMask, int count, float* output)
    {
        using var scope = NewDisposeScope();
        if (attentionMask.dtype == ScalarType.Int64 && attentionMask.device_type == TorchSharp.DeviceType.CPU && attentionMask.is_contiguous())
        {
            long* keep = TensorMemory.Longs(attentionMask, "The attention mask");
            for (int i = 0; i < count; i++)
            {
                output[i] = (-(float)keep[i] + 1f) * -10000f;
            }

            return;
        }

        float* values = TensorMemory.Floats(attentionMask.to(ScalarType.Float32, CPU).contiguous(), "The attention mask");
        for (int i = 0; i < count; i++)
        {
            output[i] = (-values[i] + 1f) * -10000f;
        }
    }

    private static Tensor Int64(Tensor ids) =>
        ids.dtype == ScalarType.Int64 && ids.device_type == TorchSharp.DeviceType.CPU && ids.is_contiguous() ? ids : ids.to(ScalarType.Int64, CPU).contiguous();
}
