using AlbertGen.Tasks;

namespace AlbertGen.Batch;

/// <summary>Settings of <c>classify</c>: how many labels and which score function.</summary>
public sealed record ClassifyLinesSettings : JsonlTaskSettings
{
    /// <summary>The task name: the head's pipeline name in <c>AlbertHeadRegistry</c> (a constant, for the JSON type discriminator; a test holds it to the registry).</summary>
    public const string Name = "classify";

    /// <inheritdoc />
    public override string TaskName => Name;

    /// <summary>Labels per input, best first; null = every label. 1 (default) prints one object, more print a list.</summary>
    public int? TopK { get; init; } = 1;

    /// <summary>softmax, sigmoid or none; null = as HuggingFace (by problem_type and num_labels).</summary>
    public ClassificationFunction? Function { get; init; }

    internal override JsonlTask Open(string modelDirectory) =>
        new ClassifyLines(TextClassificationPipeline.FromPretrained(modelDirectory, ToPipelineOptions()), this, owns: true);
}

/// <summary><c>classify</c> over JSON lines: <c>{"text": …, "text_pair": …}</c> in, <c>{label, score}</c> (or a list of them) out.</summary>
public sealed class ClassifyLines : PipelineLines<TextClassificationPipeline<string>, ClassifyLinesSettings, (string Text, string? TextPair)>
{
    /// <summary>Runs lines through a pipeline the caller owns.</summary>
    public ClassifyLines(TextClassificationPipeline<string> pipeline, ClassifyLinesSettings settings)
        : this(pipeline, settings, owns: false)
    {
    }

    internal ClassifyLines(TextClassificationPipeline<string> pipeline, ClassifyLinesSettings settings, bool owns)
        : base(pipeline, settings, owns)
    {
    }

    /// <summary>HuggingFace's shape: one <c>{label, score}</c> object when one label is asked for, else a list of them.</summary>
    public static object Json(IReadOnlyList<TextClassification<string>> result, bool list)
    {
        ArgumentNullException.ThrowIfNull(result);
        var items = result.Select(r => new { label = r.Label, score = r.Score }).ToList();
        return list ? items : items[0];
    }

    private protected override (string Text, string? TextPair) Parse(JsonlLine line) => (line.Required("text"), line.Optional("text_pair"));

    private protected override string? Check((string Text, string? TextPair) input) => JsonlChecks.Length(Pipeline, input.Text, input.TextPair);

    private protected override IReadOnlyList<object?> Predict(IReadOnlyList<(string Text, string? TextPair)> inputs, CancellationToken cancellationToken) =>
        [.. Pipeline.ClassifyBatch(inputs, Settings.TopK, Settings.Function, cancellationToken).Select(r => Json(r, Settings.TopK != 1))];
}
