using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>Cheap checks of <see cref="AlbertInputs"/> against a config: shapes, and one min/max per id tensor.</summary>
internal static class AlbertInputValidator
{
    /// <summary>Validates the inputs of a <c>[B, S]</c> model call.</summary>
    /// <exception cref="AlbertInputException">An input is missing, mis-shaped or out of range.</exception>
    public static (long Batch, long Seq) Validate(AlbertConfig config, AlbertInputs inputs)
    {
        if (inputs.InputIds is null == inputs.InputsEmbeds is null)
        {
            throw new AlbertInputException(
                inputs.InputIds is null
                    ? "Neither InputIds nor InputsEmbeds was given; pass exactly one of them."
                    : "Both InputIds and InputsEmbeds were given; pass exactly one of them.",
                nameof(AlbertInputs.InputIds));
        }

        long batch, seq;
        if (inputs.InputIds is { } ids)
        {
            RequireShape(ids, nameof(AlbertInputs.InputIds), "[batch, sequence]", 2);
            RequireIntegral(ids, nameof(AlbertInputs.InputIds));
            (batch, seq) = (ids.shape[0], ids.shape[1]);
        }
        else
        {
            Tensor embeds = inputs.InputsEmbeds!;
            RequireShape(embeds, nameof(AlbertInputs.InputsEmbeds), "[batch, sequence, embedding_size]", 3);
            if (embeds.shape[2] != config.EmbeddingSize)
            {
                throw new InputShapeException(
                    $"InputsEmbeds has shape {Shape(embeds)}; its last dimension must be embedding_size = {config.EmbeddingSize}.",
                    nameof(AlbertInputs.InputsEmbeds));
            }

            (batch, seq) = (embeds.shape[0], embeds.shape[1]);
        }

        if (seq == 0)
        {
            throw new InputShapeException("The sequence is empty (length 0); ALBERT needs at least one token.", nameof(AlbertInputs.InputIds));
        }

        if (seq > config.MaxPositionEmbeddings)
        {
            throw new SequenceTooLongException(
                $"The sequence has {seq} tokens, more than max_position_embeddings = {config.MaxPositionEmbeddings}; truncate it.",
                inputs.InputIds is null ? nameof(AlbertInputs.InputsEmbeds) : nameof(AlbertInputs.InputIds));
        }

        if (inputs.InputIds is { } idsToCheck)
        {
            RequireRange(idsToCheck, nameof(AlbertInputs.InputIds), config.VocabSize, "vocab_size");
        }

        RequireMatching(inputs.AttentionMask, nameof(AlbertInputs.AttentionMask), batch, seq);
        if (inputs.TokenTypeIds is { } types)
        {
            RequireMatching(types, nameof(AlbertInputs.TokenTypeIds), batch, seq);
            RequireIntegral(types, nameof(AlbertInputs.TokenTypeIds));
            RequireRange(types, nameof(AlbertInputs.TokenTypeIds), config.TypeVocabSize, "type_vocab_size");
        }

        if (inputs.PositionIds is { } positions)
        {
            bool ok = (positions.Dimensions == 1 && positions.shape[0] == seq)
                || (positions.Dimensions == 2 && positions.shape[1] == seq && (positions.shape[0] == batch || positions.shape[0] == 1));
            if (!ok)
            {
                throw new InputShapeException(
                    $"PositionIds has shape {Shape(positions)}; expected [{batch}, {seq}], [1, {seq}] or [{seq}].",
                    nameof(AlbertInputs.PositionIds));
            }

            RequireIntegral(positions, nameof(AlbertInputs.PositionIds));
            RequireRange(positions, nameof(AlbertInputs.PositionIds), config.MaxPositionEmbeddings, "max_position_embeddings");
        }

        if (inputs.HeadMask is { } headMask)
        {
            bool ok = (headMask.Dimensions == 1 && headMask.shape[0] == config.NumAttentionHeads)
                || (headMask.Dimensions == 2 && headMask.shape[0] == config.NumHiddenLayers && headMask.shape[1] == config.NumAttentionHeads);
            if (!ok)
            {
                throw new InputShapeException(
                    $"HeadMask has shape {Shape(headMask)}; expected [{config.NumAttentionHeads}] or [{config.NumHiddenLayers}, {config.NumAttentionHeads}] (num_hidden_layers, num_attention_heads).",
                    nameof(AlbertInputs.HeadMask));
            }

            if (config.InnerGroupNum > config.LayersPerGroup)
            {
                throw new AlbertInputException(
                    $"A head mask needs inner_group_num ({config.InnerGroupNum}) ≤ num_hidden_layers / num_hidden_groups ({config.LayersPerGroup}): HuggingFace gives each group only that many head-mask rows.",
                    nameof(AlbertInputs.HeadMask));
            }
        }

        return (batch, seq);
    }

    /// <summary>The shape as <c>[a, b, …]</c>.</summary>
    public static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";

    private static void RequireShape(Tensor t, string name, string expected, int dims)
    {
        if (t.Dimensions != dims)
        {
            throw new InputShapeException($"{name} has shape {Shape(t)}; expected {expected}.", name);
        }
    }

    private static void RequireMatching(Tensor? t, string name, long batch, long seq)
    {
        if (t is not null && (t.Dimensions != 2 || t.shape[0] != batch || t.shape[1] != seq))
        {
            throw new InputShapeException($"{name} has shape {Shape(t)}; expected [{batch}, {seq}] like the input ids.", name);
        }
    }

    private static void RequireIntegral(Tensor t, string name)
    {
        if (!is_integral(t.dtype))
        {
            throw new AlbertInputException($"{name} has dtype {t.dtype}; expected an integer type (int64).", name);
        }
    }

    private static void RequireRange(Tensor t, string name, long size, string field)
    {
        if (t.NumberOfElements == 0)
        {
            return;
        }

        using var scope = NewDisposeScope();
        long min = t.min().to(ScalarType.Int64).item<long>();
        long max = t.max().to(ScalarType.Int64).item<long>();
        if (min < 0 || max >= size)
        {
            long bad = min < 0 ? min : max;
            throw new InputIdOutOfRangeException($"{name} contains {bad}, outside [0, {size}) ({field} = {size}).", name);
        }
    }
}
