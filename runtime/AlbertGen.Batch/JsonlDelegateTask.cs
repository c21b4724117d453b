namespace AlbertGen.Batch;

/// <summary>
/// A <see cref="JsonlTask{TInput}"/> made of two functions, for JSON-lines commands that need no settings of their own
/// (question answering, multiple choice, tokenisation).
/// </summary>
public sealed class JsonlDelegateTask<TInput> : JsonlTask<TInput>
{
    private readonly Func<JsonlLine, TInput> parse;
    private readonly Func<IReadOnlyList<TInput>, CancellationToken, IReadOnlyList<object?>> predict;
    private readonly Func<TInput, string?>? check;

    /// <summary>Creates the task.</summary>
    /// <param name="batchSize">Inputs per call of <paramref name="predict"/>.</param>
    /// <param name="parse">A line's input; throws <see cref="JsonlLineException"/> for a bad line.</param>
    /// <param name="predict">The JSON-shaped results of a batch; throws <see cref="ArgumentException"/> for a refused input.</param>
    /// <param name="check">The problem the model would refuse an input for, or null; every input is checked before any runs.</param>
    public JsonlDelegateTask(
        int batchSize,
        Func<JsonlLine, TInput> parse,
        Func<IReadOnlyList<TInput>, CancellationToken, IReadOnlyList<object?>> predict,
        Func<TInput, string?>? check = null)
        : base(batchSize, null)
    {
        this.parse = parse ?? throw new ArgumentNullException(nameof(parse));
        this.predict = predict ?? throw new ArgumentNullException(nameof(predict));
        this.check = check;
    }

    private protected override TInput Parse(JsonlLine line) => parse(line);

    private protected override string? Check(TInput input) => check?.Invoke(input);

    private protected override IReadOnlyList<object?> Predict(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken) => predict(inputs, cancellationToken);
}
