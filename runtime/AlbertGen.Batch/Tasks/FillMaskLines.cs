using AlbertGen.Tasks;

namespace AlbertGen.Batch;

/// <summary>Settings of <c>fill-mask</c>: candidates per mask and target words.</summary>
public sealed record FillMaskLinesSettings : JsonlTaskSettings
{
    /// <summary>The task name: the head's pipeline name in <c>AlbertHeadRegistry</c> (a constant, for the JSON type discriminator; a test holds it to the registry).</summary>
    public const string Name = "fill-mask";

    /// <inheritdoc />
    public override string TaskName => Name;

    /// <summary>Candidates per mask (default 5).</summary>
    public int TopK { get; init; } = FillMaskPipeline.DefaultTopK;

    /// <summary>Only these words are considered; null = the whole vocabulary.</summary>
    public IReadOnlyList<string>? Targets { get; init; }

    internal override JsonlTask Open(string modelDirectory) =>
        new FillMaskLines(FillMaskPipeline.FromPretrained(modelDirectory, ToPipelineOptions()), this, owns: true);
}

/// <summary><c>fill-mask</c> over JSON lines: <c>{"text": …}</c> in, the candidates of each mask out.</summary>
public sealed class FillMaskLines : PipelineLines<FillMaskPipeline, FillMaskLinesSettings, string>
{
    /// <summary>Runs lines through a pipeline the caller owns.</summary>
    public FillMaskLines(FillMaskPipeline pipeline, FillMaskLinesSettings settings)
        : this(pipeline, settings, owns: false)
    {
    }

    internal FillMaskLines(FillMaskPipeline pipeline, FillMaskLinesSettings settings, bool owns)
        : base(pipeline, settings, owns)
    {
    }

    /// <summary>HuggingFace's shape: a list of candidates for one mask, a list of lists for several.</summary>
    public static object Json(FillMaskResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var masks = result.Masks.Select(m => m.Select(c => new { score = c.Score, token = c.Token, token_str = c.TokenStr, sequence = c.Sequence }).ToList()).ToList();
        return masks.Count == 1 ? masks[0] : masks;
    }

    private protected override string Parse(JsonlLine line) => line.Required("text");

    private protected override string? Check(string input) => JsonlChecks.Mask(Pipeline, input);

    private protected override IReadOnlyList<object?> Predict(IReadOnlyList<string> inputs, CancellationToken cancellationToken) =>
        [.. Pipeline.PredictBatch(inputs, Settings.TopK, Settings.Targets, cancellationToken).Select(Json)];
}
