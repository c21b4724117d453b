using AlbertGen.Tasks;

namespace AlbertGen.Batch;

/// <summary>Settings of <c>tag</c>: aggregation strategy and ignored labels.</summary>
public sealed record TagLinesSettings : JsonlTaskSettings
{
    /// <summary>The task name: the head's pipeline name in <c>AlbertHeadRegistry</c> (a constant, for the JSON type discriminator; a test holds it to the registry).</summary>
    public const string Name = "tag";

    /// <inheritdoc />
    public override string TaskName => Name;

    /// <summary>How tokens are grouped into entities (default none: one entry per token).</summary>
    public AggregationStrategy Aggregation { get; init; } = AggregationStrategy.None;

    /// <summary>Labels or groups left out; null = <see cref="TokenClassificationPipeline.DefaultIgnoreLabels"/>, empty = none.</summary>
    public IReadOnlyList<string>? IgnoreLabels { get; init; }

    /// <summary>The labels left out, defaults applied.</summary>
    public IReadOnlyCollection<string> Ignored() => IgnoreLabels ?? TokenClassificationPipeline.DefaultIgnoreLabels;

    internal override JsonlTask Open(string modelDirectory) =>
        new TagLines(TokenClassificationPipeline.FromPretrained(modelDirectory, ToPipelineOptions()), this, owns: true);
}

/// <summary><c>tag</c> over JSON lines: <c>{"text": …}</c> in, the list of tokens or entities out.</summary>
public sealed class TagLines : PipelineLines<TokenClassificationPipeline, TagLinesSettings, string>
{
    /// <summary>Runs lines through a pipeline the caller owns.</summary>
    public TagLines(TokenClassificationPipeline pipeline, TagLinesSettings settings)
        : this(pipeline, settings, owns: false)
    {
    }

    internal TagLines(TokenClassificationPipeline pipeline, TagLinesSettings settings, bool owns)
        : base(pipeline, settings, owns)
    {
    }

    /// <summary>HuggingFace's fields: <c>entity</c> and <c>index</c> for tokens, <c>entity_group</c> for groups.</summary>
    public static List<object> Json(IReadOnlyList<TokenEntity> entities)
    {
        ArgumentNullException.ThrowIfNull(entities);
        return
        [
            .. entities.Select(e => e.Index is int index
                ? (object)new { entity = e.Entity, score = e.Score, index, word = e.Word, start = e.Start, end = e.End }
                : new { entity_group = e.Entity, score = e.Score, word = e.Word, start = e.Start, end = e.End }),
        ];
    }

    private protected override string Parse(JsonlLine line) => line.Required("text");

    private protected override string? Check(string input) => JsonlChecks.Length(Pipeline, input);

    private protected override IReadOnlyList<object?> Predict(IReadOnlyList<string> inputs, CancellationToken cancellationToken) =>
        [.. Pipeline.PredictBatch(inputs, Settings.Aggregation, Settings.Ignored(), cancellationToken).Select(Json)];
}
