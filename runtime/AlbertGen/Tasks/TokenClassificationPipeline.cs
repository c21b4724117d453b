using AlbertGen.Modeling;
using AlbertGen.Tokenization;

namespace AlbertGen.Tasks;

/// <summary>How token predictions become entities (HuggingFace <c>aggregation_strategy</c>).</summary>
public enum AggregationStrategy
{
    /// <summary>One entity per token, with its index (<c>"none"</c>).</summary>
    None,

    /// <summary>Adjacent tokens with the same tag are grouped; words may be split between entities (<c>"simple"</c>).</summary>
    Simple,

    /// <summary>Each word takes the label of its first token, then words are grouped (<c>"first"</c>).</summary>
    First,

    /// <summary>Each word takes the best label of its tokens' averaged scores, then words are grouped (<c>"average"</c>).</summary>
    Average,

    /// <summary>Each word takes the label of its single most confident token, then words are grouped (<c>"max"</c>).</summary>
    Max,
}

/// <summary>
/// A token (strategy <see cref="AggregationStrategy.None"/>) or a group of tokens with one label (HuggingFace's
/// <c>entity</c>/<c>entity_group</c>, <c>score</c>, <c>word</c>, <c>start</c>, <c>end</c>, <c>index</c>).
/// </summary>
/// <param name="Entity">The label (<c>entity</c>) of a token; the tag without its <c>B-</c>/<c>I-</c> prefix (<c>entity_group</c>) of a group.</param>
/// <param name="Score">The label's probability; for a group the mean over its members.</param>
/// <param name="Word">The token string (<c>▁paris</c>) of a token; the text of a group's tokens (<c>new york</c>).</param>
/// <param name="Start">First char in the text. Offsets cover a token's characters, not the space before it.</param>
/// <param name="End">Char after the last one: <c>text[Start..End]</c> is the entity's text.</param>
/// <param name="Index">The token's index in the encoded input (<c>[CLS]</c> = 0); null for groups.</param>
public sealed record TokenEntity(string Entity, float Score, string Word, int Start, int End, int? Index);

/// <summary>
/// Labels tokens and groups them into entities (HuggingFace <c>TokenClassificationPipeline</c>, the "ner" pipeline), with
/// its aggregation strategies. Texts longer than the model are truncated (see <see cref="PipelineOptions.Truncation"/>);
/// HuggingFace's optional striding over long texts is not offered.
/// </summary>
/// <remarks>
/// ALBERT's SentencePiece tokenizer has no word boundaries of its own, so word aggregation uses HuggingFace's fallback: a
/// token continues a word when neither it nor the char before it is a space. Thread-safe; see
/// <see cref="AlbertPipeline{TModel, TOutput}"/>.
/// </remarks>
public sealed class TokenClassificationPipeline : AlbertPipeline<AlbertForTokenClassification, TokenClassifierOutput>
{
    /// <summary>The labels ignored by default: <c>O</c> (outside any entity).</summary>
    public static IReadOnlyCollection<string> DefaultIgnoreLabels { get; } = ["O"];

    /// <summary>Builds a pipeline on a loaded model.</summary>
    /// <param name="model">The model (or a generated class deriving from it).</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="options">Shared settings; null = defaults.</param>
    /// <param name="ownsModel">Whether disposing the pipeline disposes the model.</param>
    public TokenClassificationPipeline(AlbertForTokenClassification model, AlbertTokenizer tokenizer, PipelineOptions? options = null, bool ownsModel = false)
        : base(model, tokenizer, options, ownsModel)
    {
    }

    /// <summary>Loads <c>config.json</c>, the weights and the tokenizer (<c>tokenizer.json</c> or <c>spiece.model</c>) from a directory.</summary>
    /// <param name="directory">A HuggingFace model directory with a token-classification checkpoint.</param>
    /// <param name="options">Shared settings; null = defaults.</param>
    /// <returns>A pipeline that owns its model.</returns>
    public static TokenClassificationPipeline FromPretrained(string directory, PipelineOptions? options = null)
    {
        var (model, tokenizer) = PipelineResources.Load(directory, options, d => AlbertForTokenClassification.FromPretrained(d, options?.LoadOptions));
        return new TokenClassificationPipeline(model, tokenizer, options, ownsModel: true);
    }

    /// <summary>Labels one text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="strategy">How tokens are aggregated.</param>
    /// <param name="ignoreLabels">Labels (or groups) left out of the result; null = <see cref="DefaultIgnoreLabels"/>.</param>
    /// <param name="cancellationToken">Cancels before the forward pass.</param>
    /// <returns>The entities in text order.</returns>
    public IReadOnlyList<TokenEntity> Predict(string text, AggregationStrategy strategy = AggregationStrategy.None, IReadOnlyCollection<string>? ignoreLabels = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return PredictBatch([text], strategy, ignoreLabels, cancellationToken)[0];
    }

    /// <summary>Labels several texts, <see cref="PipelineOptions.BatchSize"/> at a time.</summary>
    /// <param name="texts">The texts.</param>
    /// <param name="strategy">How tokens are aggregated.</param>
    /// <param name="ignoreLabels">Labels left out; null = <see cref="DefaultIgnoreLabels"/>.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>One entity list per text, in order.</returns>
    public IReadOnlyList<IReadOnlyList<TokenEntity>> PredictBatch(IReadOnlyList<string> texts, AggregationStrategy strategy = AggregationStrategy.None, IReadOnlyCollection<string>? ignoreLabels = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        EncodedText[] prepared = PreprocessAll(texts, t => Preprocess(t));
        return Compose(prepared, Forward, (input, logits) => Postprocess(input, logits, strategy, ignoreLabels), cancellationToken);
    }

    /// <summary>Preprocess stage: encodes a text as one row.</summary>
    /// <param name="text">The text.</param>
    /// <param name="truncate">Whether a text longer than <see cref="AlbertPipeline{TModel, TOutput}.MaxLength"/> is cut; null = <see cref="PipelineOptions.Truncation"/>.</param>
    /// <returns>The encoded text.</returns>
    /// <exception cref="InputTooLongException">The text is too long and truncation is off.</exception>
    public EncodedText Preprocess(string text, bool? truncate = null) => new(text, null, EncodeRow(text, null, truncate));

    /// <summary>Forward stage: one pass; for each input, one row of <c>num_labels</c> logits per token of its encoding.</summary>
    /// <param name="inputs">Preprocessed texts.</param>
    /// <returns>Per input, its tokens' logits.</returns>
    public IReadOnlyList<float[][]> Forward(IReadOnlyList<EncodedText> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int labels = Model.Config.NumLabels;
        return Run(RowsOf(inputs), (output, _) =>
        {
            float[] logits = ToArray(output.Logits); // [B, S, labels]
            int length = (int)output.Logits.shape[1];
            return inputs.Select((input, r) => Enumerable.Range(0, input.Encoding.Length)
                .Select(i => logits.AsSpan(((r * length) + i) * labels, labels).ToArray()).ToArray()).ToArray();
        });
    }

    /// <summary>Postprocess stage: labels one input's tokens and groups them into entities.</summary>
    /// <param name="input">The preprocessed text.</param>
    /// <param name="logits">Its output from <see cref="Forward"/>.</param>
    /// <param name="strategy">How tokens are aggregated.</param>
    /// <param name="ignoreLabels">Labels left out; null = <see cref="DefaultIgnoreLabels"/>.</param>
    /// <returns>The entities in text order.</returns>
    public IReadOnlyList<TokenEntity> Postprocess(EncodedText input, float[][] logits, AggregationStrategy strategy = AggregationStrategy.None, IReadOnlyCollection<string>? ignoreLabels = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(logits);
        AlbertEncoding e = input.Encoding;
        List<PreEntity> pre = TokenAggregator.Gather(input.Text, e.Tokens, e.InputIds, e.SpecialTokensMask, e.Offsets, logits, Tokenizer.UnknownTokenId);
        return TokenAggregator.Aggregate(pre, Model.Config.Id2Label, strategy, ignoreLabels ?? DefaultIgnoreLabels, Tokenizer.ConvertTokensToString);
    }
}
