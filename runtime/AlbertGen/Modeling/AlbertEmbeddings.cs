using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Word, position and token-type embeddings of size E, summed, then LayerNorm and dropout
/// (HuggingFace <c>AlbertEmbeddings</c>; the E→H projection lives in <see cref="AlbertTransformer"/>).
/// </summary>
internal sealed class AlbertEmbeddings : nn.Module<Tensor?, Tensor?, Tensor?, Tensor?, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
#pragma warning disable IDE1006 // The field name is the checkpoint name.
    private readonly LayerNorm LayerNorm;
#pragma warning restore IDE1006
    private readonly double _dropout;
    private readonly bool _absolutePositions;

    public AlbertEmbeddings(AlbertConfig config) : base("AlbertEmbeddings")
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.EmbeddingSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.EmbeddingSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.EmbeddingSize);
        LayerNorm = nn.LayerNorm(config.EmbeddingSize, config.LayerNormEps);
        _dropout = config.HiddenDropoutProb;
        _absolutePositions = config.PositionEmbeddingType == PositionEmbeddingType.Absolute;
        RegisterComponents();
    }

    /// <summary>The word embedding table <c>[V, E]</c>; also the MLM decoder weight.</summary>
    public Parameter WordEmbeddingWeight => word_embeddings.weight!;

    /// <summary>The position embeddings <c>[max_position_embeddings, E]</c> (added only with absolute positions).</summary>
    public Parameter PositionEmbeddingWeight => position_embeddings.weight!;

    /// <summary>The token type embeddings <c>[type_vocab_size, E]</c>.</summary>
    public Parameter TokenTypeEmbeddingWeight => token_type_embeddings.weight!;

    /// <summary>The LayerNorm over the summed embeddings.</summary>
    public LayerNorm Norm => LayerNorm;

    /// <summary>Whether position embeddings are added (absolute positions; relative ones live in the attention).</summary>
    public bool AddsPositions => _absolutePositions;

    /// <summary>Computes the embeddings.</summary>
    /// <param name="inputIds">Ids <c>[B, S]</c>, or null when <paramref name="inputsEmbeds"/> is given.</param>
    /// <param name="tokenTypeIds">Token types <c>[B, S]</c>, or null for zeros.</param>
    /// <param name="positionIds">Positions <c>[B, S]</c> or <c>[S]</c>, or null for 0..S-1.</param>
    /// <param name="inputsEmbeds">Word embeddings <c>[B, S, E]</c>, or null.</param>
    /// <returns><c>[B, S, E]</c>.</returns>
    public override Tensor forward(Tensor? inputIds, Tensor? tokenTypeIds, Tensor? positionIds, Tensor? inputsEmbeds)
    {
        using var scope = NewDisposeScope();
        Tensor words = inputsEmbeds ?? word_embeddings.forward(inputIds!);
        long batch = words.shape[0], seq = words.shape[1];

        Tensor types = tokenTypeIds is null
            ? token_type_embeddings.weight![0].expand(batch, seq, -1)
            : token_type_embeddings.forward(tokenTypeIds);
        Tensor sum = words.add(types);

        if (_absolutePositions)
        {
            Tensor positions = positionIds is null
                ? position_embeddings.weight!.narrow(0, 0, seq)
                : position_embeddings.forward(positionIds);
            sum.add_(positions);
        }

        Tensor normed = LayerNorm.forward(sum);
        Tensor result = nn.functional.dropout(normed, _dropout, training);
        return result.MoveToOuterDisposeScope();
    }
}
