using AlbertGen.Inference;
using AlbertGen.Modeling;
using AlbertGen.Tokenization;
using static TorchSharp.torch;

namespace AlbertGen.Tasks;

/// <summary>How token states become one sentence vector.</summary>
public enum EmbeddingPooling
{
    /// <summary>Mean of the last hidden state over real tokens (padding excluded), special tokens included, as sentence-transformers' mean pooling.</summary>
    Mean,

    /// <summary>The last hidden state of <c>[CLS]</c> (not the tanh pooler).</summary>
    Cls,
}

/// <summary>Settings of <see cref="SentenceEmbeddingGenerator"/>.</summary>
public sealed record SentenceEmbeddingOptions
{
    /// <summary>The defaults: mean pooling, no normalisation.</summary>
    public static SentenceEmbeddingOptions Default { get; } = new();

    /// <summary>Pooling. Default <see cref="EmbeddingPooling.Mean"/>.</summary>
    public EmbeddingPooling Pooling { get; init; }

    /// <summary>Scale each vector to unit L2 norm (so a dot product is the cosine similarity). Default false.</summary>
    public bool Normalize { get; init; }
}

/// <summary>
/// Sentence embeddings from ALBERT's last hidden state: one vector of <c>hidden_size</c> floats per text. The
/// <c>AlbertGen.Extensions.AI</c> package makes it a <c>Microsoft.Extensions.AI</c> <c>IEmbeddingGenerator</c>
/// (<c>AsEmbeddingGenerator()</c>).
/// </summary>
/// <remarks>
/// A text's vector does not depend on the other texts of its batch (padding is masked out), up to float rounding.
/// Texts longer than the model are truncated unless <see cref="PipelineOptions.Truncation"/> is off. Thread-safe; see
/// <see cref="AlbertPipeline{TModel, TOutput}"/>.
/// </remarks>
public sealed class SentenceEmbeddingGenerator : AlbertPipeline<AlbertModel, AlbertModelOutput>
{
    /// <summary>Builds a generator on a loaded model.</summary>
    /// <param name="model">The encoder (the pooler, if any, is not used).</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="embeddingOptions">Pooling and normalisation; null = <see cref="SentenceEmbeddingOptions.Default"/>.</param>
    /// <param name="options">Shared settings; null = defaults.</param>
    /// <param name="ownsModel">Whether disposing the generator disposes the model.</param>
    public SentenceEmbeddingGenerator(AlbertModel model, AlbertTokenizer tokenizer, SentenceEmbeddingOptions? embeddingOptions = null, PipelineOptions? options = null, bool ownsModel = false)
        : base(model, tokenizer, options, ownsModel)
    {
        EmbeddingOptions = embeddingOptions ?? SentenceEmbeddingOptions.Default;
    }

    private SentenceEmbeddingGenerator(AlbertModel body, AlbertTokenizer tokenizer, SentenceEmbeddingOptions? embeddingOptions, PipelineOptions options, Func<InferenceSession<AlbertModelOutput>> session)
        : base(body, tokenizer, options, session)
    {
        EmbeddingOptions = embeddingOptions ?? SentenceEmbeddingOptions.Default;
    }

    /// <summary>
    /// Builds a generator on the encoder of <paramref name="pipeline"/>'s model (a head model's <c>albert</c> body, or the
    /// bare model) that runs the body part of that pipeline's inference session: no second copy of the weights and no
    /// second session. It owns nothing: dispose it before <paramref name="pipeline"/>, which keeps the model and session.
    /// </summary>
    /// <param name="pipeline">A pipeline of any head; its tokenizer and settings are used.</param>
    /// <param name="embeddingOptions">Pooling and normalisation; null = <see cref="SentenceEmbeddingOptions.Default"/>.</param>
    /// <returns>A generator whose vectors are those of <see cref="FromPretrained"/> on the same checkpoint.</returns>
    internal static SentenceEmbeddingGenerator OnEncoderOf<TModel, TOutput>(AlbertPipeline<TModel, TOutput> pipeline, SentenceEmbeddingOptions? embeddingOptions = null)
        where TModel : AlbertPreTrainedModel<TOutput>
        where TOutput : AlbertOutput
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        return new SentenceEmbeddingGenerator(pipeline.Model.Body, pipeline.Tokenizer, embeddingOptions, pipeline.Options, () => pipeline.Session.Body());
    }

    /// <summary>Loads <c>config.json</c>, the encoder weights of any ALBERT checkpoint and the tokenizer (<c>tokenizer.json</c> or <c>spiece.model</c>) from a directory.</summary>
    /// <param name="directory">A HuggingFace model directory.</param>
    /// <param name="embeddingOptions">Pooling and normalisation; null = defaults.</param>
    /// <param name="options">Shared settings; null = defaults.</param>
    /// <returns>A generator that owns its model.</returns>
    public static SentenceEmbeddingGenerator FromPretrained(string directory, SentenceEmbeddingOptions? embeddingOptions = null, PipelineOptions? options = null)
    {
        var (model, tokenizer) = PipelineResources.Load(directory, options, d =>
            AlbertPreTrainedModel<AlbertModelOutput>.FromPretrained(d, config => new AlbertModel(config, addPoolingLayer: false), options?.LoadOptions));
        return new SentenceEmbeddingGenerator(model, tokenizer, embeddingOptions, options, ownsModel: true);
    }

    /// <summary>Pooling and normalisation.</summary>
    public SentenceEmbeddingOptions EmbeddingOptions { get; }

    /// <summary>Length of every vector: the model's <c>hidden_size</c>.</summary>
    public int Dimensions => Model.Config.HiddenSize;

    /// <summary>Embeds one text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="cancellationToken">Cancels before the forward pass.</param>
    /// <returns>The vector.</returns>
    public float[] Embed(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Embed([text], cancellationToken)[0];
    }

    /// <summary>Embeds texts, <see cref="PipelineOptions.BatchSize"/> at a time.</summary>
    /// <param name="texts">The texts.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>One vector per text, in order.</returns>
    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        EncodedText[] prepared = PreprocessAll(texts, t => Preprocess(t));
        return Compose(prepared, Forward, (_, pooled) => Postprocess(pooled), cancellationToken);
    }

    /// <summary>Preprocess stage: encodes one text as one row.</summary>
    /// <param name="text">The text.</param>
    /// <param name="truncate">Whether a text longer than <see cref="AlbertPipeline{TModel, TOutput}.MaxLength"/> is cut; null = <see cref="PipelineOptions.Truncation"/>.</param>
    /// <returns>The encoded text.</returns>
    /// <exception cref="InputTooLongException">The text is too long and truncation is off.</exception>
    public EncodedText Preprocess(string text, bool? truncate = null) => new(text, null, EncodeRow(text, null, truncate));

    /// <summary>Forward stage: one pass over the inputs' rows; the pooled vector of each input, not normalised.</summary>
    /// <param name="inputs">Preprocessed texts.</param>
    /// <returns>One pooled vector per input, in order.</returns>
    public IReadOnlyList<float[]> Forward(IReadOnlyList<EncodedText> inputs)
    {
        List<AlbertEncoding> rows = RowsOf(inputs);
        int hidden = Dimensions;
        float[] pooled = Run(rows, (output, mask) => ToArray(Pool(output.LastHiddenState, mask)));
        return [.. Enumerable.Range(0, rows.Count).Select(r => pooled.AsSpan(r * hidden, hidden).ToArray())];
    }

    /// <summary>Postprocess stage: the vector, scaled to unit length when asked.</summary>
    /// <param name="pooled">A vector from <see cref="Forward"/>.</param>
    /// <param name="normalize">Whether to scale it to unit L2 norm; null = <see cref="SentenceEmbeddingOptions.Normalize"/>.</param>
    /// <returns>The embedding (a new array when normalised, else <paramref name="pooled"/>).</returns>
    public float[] Postprocess(float[] pooled, bool? normalize = null)
    {
        ArgumentNullException.ThrowIfNull(pooled);
        if (!(normalize ?? EmbeddingOptions.Normalize))
        {
            return pooled;
        }

        double norm = Math.Sqrt(pooled.Sum(x => (double)x * x));
        double scale = 1 / Math.Max(norm, 1e-12); // torch's normalize: divide by max(norm, eps)
        return [.. pooled.Select(x => (float)(x * scale))];
    }

    /// <summary>[B, S, H] states and [B, S] mask → [B, H] sentence vectors.</summary>
    private Tensor Pool(Tensor states, Tensor attentionMask)
    {
        Tensor pooled;
        if (EmbeddingOptions.Pooling == EmbeddingPooling.Cls)
        {
            pooled = states.select(1, 0);
        }
        else
        {
            Tensor mask = attentionMask.to(states.dtype, states.device).unsqueeze(-1); // [B, S, 1]
            pooled = states.mul(mask).sum(1).div(mask.sum(1).clamp_min(1e-9));
        }

        return pooled.to(ScalarType.Float32);
    }
}
