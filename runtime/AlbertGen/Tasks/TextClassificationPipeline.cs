using AlbertGen.Modeling;
using AlbertGen.Tokenization;

namespace AlbertGen.Tasks;

/// <summary>The function that turns classification logits into scores (HuggingFace <c>function_to_apply</c>).</summary>
public enum ClassificationFunction
{
    /// <summary>Softmax over the labels: scores sum to one (single-label classification).</summary>
    Softmax,

    /// <summary>Sigmoid per label: independent probabilities (multi-label classification, or a single label).</summary>
    Sigmoid,

    /// <summary>The raw logits (regression).</summary>
    None,
}

/// <summary>One label's score (HuggingFace text classification's <c>label</c> and <c>score</c>).</summary>
/// <typeparam name="TLabel">The label type: <see cref="string"/> for the dynamic face, a generated <c>Label</c> enum for the typed face.</typeparam>
/// <param name="Label">The label, mapped from its id by the pipeline's label mapping.</param>
/// <param name="LabelId">The label's index in the logits.</param>
/// <param name="LabelName">The config's <c>id2label</c> name (what HuggingFace prints as <c>label</c>).</param>
/// <param name="Score">Probability (softmax/sigmoid) or raw value (regression).</param>
public sealed record TextClassification<TLabel>(TLabel Label, int LabelId, string LabelName, float Score);

/// <summary>Creates text classification pipelines.</summary>
public static class TextClassificationPipeline
{
    /// <summary>Loads <c>config.json</c>, the weights and the tokenizer (<c>tokenizer.json</c> or <c>spiece.model</c>) from a directory; labels are the <c>id2label</c> names.</summary>
    /// <param name="directory">A HuggingFace model directory with a sequence-classification checkpoint.</param>
    /// <param name="options">Shared settings; null = defaults.</param>
    /// <returns>A pipeline that owns its model.</returns>
    public static TextClassificationPipeline<string> FromPretrained(string directory, PipelineOptions? options = null) =>
        FromPretrained(directory, LabelMapping.Names, options);

    /// <summary>Loads a pipeline whose labels are mapped by <paramref name="labelMapping"/> (for example to a generated enum).</summary>
    /// <typeparam name="TLabel">The label type.</typeparam>
    /// <param name="directory">A HuggingFace model directory with a sequence-classification checkpoint.</param>
    /// <param name="labelMapping">Builds the label-of-id function from the config (see <see cref="LabelMapping"/>).</param>
    /// <param name="options">Shared settings; null = defaults.</param>
    /// <returns>A pipeline that owns its model.</returns>
    public static TextClassificationPipeline<TLabel> FromPretrained<TLabel>(string directory, Func<AlbertConfig, Func<int, TLabel>> labelMapping, PipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(labelMapping);
        var (model, tokenizer) = PipelineResources.Load(directory, options, d => AlbertForSequenceClassification.FromPretrained(d, options?.LoadOptions));
        try
        {
            return new TextClassificationPipeline<TLabel>(model, tokenizer, labelMapping(model.Config), options, ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Builds a pipeline on a loaded model; labels are the <c>id2label</c> names.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="options">Shared settings; null = defaults.</param>
    /// <param name="ownsModel">Whether disposing the pipeline disposes the model.</param>
    /// <returns>The pipeline.</returns>
    public static TextClassificationPipeline<string> Create(AlbertForSequenceClassification model, AlbertTokenizer tokenizer, PipelineOptions? options = null, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new TextClassificationPipeline<string>(model, tokenizer, LabelMapping.Names(model.Config), options, ownsModel);
    }

    /// <summary>Applies a score function to one row of logits.</summary>
    /// <param name="logits">The logits of one input.</param>
    /// <param name="function">The function.</param>
    /// <returns>The scores.</returns>
    public static float[] Score(ReadOnlySpan<float> logits, ClassificationFunction function) => function switch
    {
        ClassificationFunction.Softmax => ScoreMath.Softmax(logits),
        ClassificationFunction.Sigmoid => ScoreMath.Sigmoid(logits),
        _ => logits.ToArray(),
    };

    /// <summary>
    /// HuggingFace's default <c>function_to_apply</c>: none for <c>problem_type</c> regression; sigmoid for multi-label or a
    /// single label; softmax for single-label or several labels.
    /// </summary>
    /// <param name="config">The model's configuration.</param>
    /// <returns>The function.</returns>
    public static ClassificationFunction DefaultFunction(AlbertConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.ProblemType == ProblemType.Regression)
        {
            return ClassificationFunction.None;
        }

        if (config.ProblemType == ProblemType.MultiLabelClassification || config.NumLabels == 1)
        {
            return ClassificationFunction.Sigmoid;
        }

        return ClassificationFunction.Softmax;
    }
}

/// <summary>Label mappings for <see cref="TextClassificationPipeline{TLabel}"/>: from a label id to the caller's label type.</summary>
public static class LabelMapping
{
    /// <summary>Ids to the config's <c>id2label</c> names.</summary>
    /// <param name="config">The model's configuration.</param>
    /// <returns>The mapping.</returns>
    public static Func<int, string> Names(AlbertConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        IReadOnlyList<string> names = config.Id2Label;
        return id => id < names.Count ? names[id] : $"LABEL_{id}";
    }

    /// <summary>Ids to the members of an enum whose values are the label ids (the typed face's generated <c>Label</c> enums).</summary>
    /// <typeparam name="TEnum">The enum type.</typeparam>
    /// <param name="config">The model's configuration; every id below <c>num_labels</c> must be a defined member.</param>
    /// <returns>The mapping.</returns>
    /// <exception cref="ArgumentException">Some label id has no enum member.</exception>
    public static Func<int, TEnum> Enum<TEnum>(AlbertConfig config)
        where TEnum : struct, System.Enum
    {
        ArgumentNullException.ThrowIfNull(config);
        var members = new TEnum[config.NumLabels];
        for (int id = 0; id < members.Length; id++)
        {
            object value = Convert.ChangeType(id, System.Enum.GetUnderlyingType(typeof(TEnum)), System.Globalization.CultureInfo.InvariantCulture);
            if (!System.Enum.IsDefined(typeof(TEnum), value))
            {
                throw new ArgumentException($"{typeof(TEnum).Name} has no member with value {id}, but the model has {config.NumLabels} labels.", nameof(config));
            }

            members[id] = (TEnum)System.Enum.ToObject(typeof(TEnum), value);
        }

        return id => members[id];
    }
}

/// <summary>
/// Classifies texts and text pairs (HuggingFace <c>TextClassificationPipeline</c>): label and score, top-k or all labels,
/// softmax / sigmoid / raw values by HuggingFace's rules.
/// </summary>
/// <typeparam name="TLabel">The label type the results carry (<see cref="string"/>, or a generated enum).</typeparam>
/// <remarks>Thread-safe; see <see cref="AlbertPipeline{TModel, TOutput}"/>.</remarks>
public sealed class TextClassificationPipeline<TLabel> : AlbertPipeline<AlbertForSequenceClassification, SequenceClassifierOutput>
{
    private readonly Func<int, TLabel> _labelOf;

    /// <summary>Builds a pipeline on a loaded model.</summary>
    /// <param name="model">The model (or a generated class deriving from it).</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="labelOf">Maps a label id (0 … num_labels-1) to the label (see <see cref="LabelMapping"/>).</param>
    /// <param name="options">Shared settings; null = defaults.</param>
    /// <param name="ownsModel">Whether disposing the pipeline disposes the model.</param>
    public TextClassificationPipeline(AlbertForSequenceClassification model, AlbertTokenizer tokenizer, Func<int, TLabel> labelOf, PipelineOptions? options = null, bool ownsModel = false)
        : base(model, tokenizer, options, ownsModel)
    {
        ArgumentNullException.ThrowIfNull(labelOf);
        _labelOf = labelOf;
        DefaultFunction = TextClassificationPipeline.DefaultFunction(model.Config);
    }

    /// <summary>The function used when a call does not name one (see <see cref="TextClassificationPipeline.DefaultFunction"/>).</summary>
    public ClassificationFunction DefaultFunction { get; }

    /// <summary>Classifies one text or pair.</summary>
    /// <param name="text">The text.</param>
    /// <param name="textPair">The second text of a pair, or null.</param>
    /// <param name="topK">How many labels, best first; null = all labels (best first). Default 1.</param>
    /// <param name="function">Score function; null = <see cref="DefaultFunction"/>.</param>
    /// <param name="cancellationToken">Cancels before the forward pass.</param>
    /// <returns>The labels, best first.</returns>
    public IReadOnlyList<TextClassification<TLabel>> Classify(string text, string? textPair = null, int? topK = 1, ClassificationFunction? function = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ClassifyBatch([(text, textPair)], topK, function, cancellationToken)[0];
    }

    /// <summary>Classifies texts, <see cref="PipelineOptions.BatchSize"/> at a time.</summary>
    /// <param name="texts">The texts.</param>
    /// <param name="topK">How many labels per text; null = all.</param>
    /// <param name="function">Score function; null = <see cref="DefaultFunction"/>.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>One list per text, in order.</returns>
    public IReadOnlyList<IReadOnlyList<TextClassification<TLabel>>> ClassifyBatch(IReadOnlyList<string> texts, int? topK = 1, ClassificationFunction? function = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return ClassifyBatch([.. texts.Select(t => (t, (string?)null))], topK, function, cancellationToken);
    }

    /// <summary>Classifies texts and pairs, <see cref="PipelineOptions.BatchSize"/> at a time.</summary>
    /// <param name="inputs">Texts with an optional second text each.</param>
    /// <param name="topK">How many labels per input; null = all.</param>
    /// <param name="function">Score function; null = <see cref="DefaultFunction"/>.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>One list per input, in order.</returns>
    public IReadOnlyList<IReadOnlyList<TextClassification<TLabel>>> ClassifyBatch(IReadOnlyList<(string Text, string? TextPair)> inputs, int? topK = 1, ClassificationFunction? function = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (topK is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(topK), topK, "topK must be at least 1 (or null for all labels).");
        }

        EncodedText[] prepared = PreprocessAll(inputs, input => Preprocess(input.Text, input.TextPair));
        return Compose(prepared, Forward, (_, logits) => Postprocess(logits, topK, function), cancellationToken);
    }

    /// <summary>Preprocess stage: encodes a text or pair as one row.</summary>
    /// <param name="text">The text.</param>
    /// <param name="textPair">The second text of a pair, or null.</param>
    /// <param name="truncate">Whether an input longer than <see cref="AlbertPipeline{TModel, TOutput}.MaxLength"/> is cut; null = <see cref="PipelineOptions.Truncation"/>.</param>
    /// <returns>The encoded input.</returns>
    /// <exception cref="InputTooLongException">The input is too long and truncation is off.</exception>
    public EncodedText Preprocess(string text, string? textPair = null, bool? truncate = null) => new(text, textPair, EncodeRow(text, textPair, truncate));

    /// <summary>Forward stage: one pass; the logits of each input (<c>num_labels</c> floats).</summary>
    /// <param name="inputs">Preprocessed inputs.</param>
    /// <returns>One row of logits per input, in order.</returns>
    public IReadOnlyList<float[]> Forward(IReadOnlyList<EncodedText> inputs)
    {
        List<AlbertEncoding> rows = RowsOf(inputs);
        int labels = Model.Config.NumLabels;
        float[] logits = Run(rows, (output, _) => ToArray(output.Logits));
        return [.. Enumerable.Range(0, rows.Count).Select(r => logits.AsSpan(r * labels, labels).ToArray())];
    }

    /// <summary>Postprocess stage: scores and ranks the labels of one input.</summary>
    /// <param name="logits">One row from <see cref="Forward"/>.</param>
    /// <param name="topK">How many labels, best first; null = all.</param>
    /// <param name="function">Score function; null = <see cref="DefaultFunction"/>.</param>
    /// <returns>The labels, best first.</returns>
    public IReadOnlyList<TextClassification<TLabel>> Postprocess(float[] logits, int? topK = 1, ClassificationFunction? function = null)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (topK is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(topK), topK, "topK must be at least 1 (or null for all labels).");
        }

        return Rank(TextClassificationPipeline.Score(logits, function ?? DefaultFunction), topK);
    }

    private IReadOnlyList<TextClassification<TLabel>> Rank(float[] scores, int? topK)
    {
        int[] order = ScoreMath.TopK(scores, topK ?? scores.Length);
        var names = Model.Config.Id2Label;
        return [.. order.Select(id => new TextClassification<TLabel>(_labelOf(id), id, id < names.Count ? names[id] : $"LABEL_{id}", scores[id]))];
    }
}
