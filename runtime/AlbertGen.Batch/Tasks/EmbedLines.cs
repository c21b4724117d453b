using AlbertGen.Tasks;

namespace AlbertGen.Batch;

/// <summary>Settings of <c>embed</c>: pooling and normalisation of the sentence vector.</summary>
public sealed record EmbedLinesSettings : JsonlTaskSettings
{
    /// <summary>The task name: the head's pipeline name in <c>AlbertHeadRegistry</c> (a constant, for the JSON type discriminator; a test holds it to the registry).</summary>
    public const string Name = "embed";

    /// <inheritdoc />
    public override string TaskName => Name;

    /// <summary>How token vectors become one vector (default mean).</summary>
    public EmbeddingPooling Pooling { get; init; } = EmbeddingPooling.Mean;

    /// <summary>Whether each vector is scaled to unit length.</summary>
    public bool Normalize { get; init; }

    /// <summary>The generator options these settings describe.</summary>
    public SentenceEmbeddingOptions EmbeddingOptions() => new() { Pooling = Pooling, Normalize = Normalize };

    internal override JsonlTask Open(string modelDirectory)
    {
        var generator = SentenceEmbeddingGenerator.FromPretrained(modelDirectory, EmbeddingOptions(), ToPipelineOptions());
        return new EmbedLines(generator, BatchSize, owns: true);
    }
}

/// <summary><c>embed</c> over JSON lines: <c>{"text": …}</c> in, the vector as a JSON array out.</summary>
public sealed class EmbedLines : JsonlTask<string>
{
    private readonly SentenceEmbeddingGenerator generator;

    /// <summary>Runs lines through a generator the caller owns.</summary>
    public EmbedLines(SentenceEmbeddingGenerator generator, int batchSize)
        : this(generator, batchSize, owns: false)
    {
    }

    internal EmbedLines(SentenceEmbeddingGenerator generator, int batchSize, bool owns)
        : base(batchSize, owns ? generator : null)
    {
        this.generator = generator ?? throw new ArgumentNullException(nameof(generator));
    }

    private protected override string Parse(JsonlLine line) => line.Required("text");

    private protected override string? Check(string input) => JsonlChecks.Length(generator, input);

    private protected override IReadOnlyList<object?> Predict(IReadOnlyList<string> inputs, CancellationToken cancellationToken) =>
        [.. generator.Embed(inputs, cancellationToken)];
}
