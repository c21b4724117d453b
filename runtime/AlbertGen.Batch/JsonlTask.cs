using System.Text.Encodings.Web;
using System.Text.Json;

namespace AlbertGen.Batch;

/// <summary>
/// A task pipeline run over JSON-lines input: each object becomes the pipeline's input, inputs go through the model a
/// batch at a time, and each result is printed as one line of JSON with HuggingFace's field names, in input order.
/// The albertgen task commands (<c>--input-jsonl</c>) and the cluster's shards both run lines through this, so their
/// outputs agree line for line.
/// </summary>
public abstract class JsonlTask : IDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly IDisposable? owned;

    /// <summary>Creates the task.</summary>
    /// <param name="batchSize">Inputs per forward pass.</param>
    /// <param name="owned">What <see cref="Dispose"/> disposes (the pipeline, when the task loaded it).</param>
    private protected JsonlTask(int batchSize, IDisposable? owned)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        BatchSize = batchSize;
        this.owned = owned;
    }

    /// <summary>Inputs per forward pass.</summary>
    public int BatchSize { get; }

    /// <summary>Loads the settings' pipeline from a model folder and returns the task that owns it.</summary>
    public static JsonlTask Open(string modelDirectory, JsonlTaskSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Open(modelDirectory);
    }

    /// <summary>One value as the command line prints it: compact JSON, non-ASCII text unescaped.</summary>
    public static string ToJson(object? value) => JsonSerializer.Serialize(value, JsonOptions);

    /// <summary>
    /// Checks every line, then runs them a batch at a time and writes one JSON line per input, in order.
    /// </summary>
    /// <exception cref="JsonlLineException">A line lacks a field, or the model refuses its input (e.g. too long without truncation).</exception>
    public abstract void Run(IReadOnlyList<JsonlLine> lines, TextWriter output, CancellationToken cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        owned?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A <see cref="JsonlTask"/> whose lines become inputs of type <typeparamref name="TInput"/>.</summary>
public abstract class JsonlTask<TInput> : JsonlTask
{
    private protected JsonlTask(int batchSize, IDisposable? owned)
        : base(batchSize, owned)
    {
    }

    /// <inheritdoc />
    public sealed override void Run(IReadOnlyList<JsonlLine> lines, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lines);
        RunParsed([.. lines.Select(line => (line, Parse(line)))], output, cancellationToken);
    }

    /// <summary>
    /// Checks every input (<see cref="Check"/>: the first problem fails the run, naming its line, before the model runs on
    /// any input), then runs the inputs a batch at a time and writes one JSON line per input, in order.
    /// </summary>
    /// <exception cref="JsonlLineException">A line's input is refused: by the checks, or by the model (then the message
    /// names the batch's lines, since the checks did not single one out).</exception>
    public void RunParsed(IReadOnlyList<(JsonlLine Line, TInput Input)> inputs, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(output);
        foreach ((JsonlLine line, TInput input) in inputs)
        {
            if (Check(input) is { } problem)
            {
                throw new JsonlLineException(line.Path, line.Line, problem);
            }
        }

        for (int first = 0; first < inputs.Count; first += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = inputs.Skip(first).Take(BatchSize).ToList();
            IReadOnlyList<object?> results;
            try
            {
                results = Predict([.. chunk.Select(c => c.Input)], cancellationToken);
            }
            catch (ArgumentException e)
            {
                string lines = chunk.Count == 1 ? "" : $" (one of lines {chunk[0].Line.Line}-{chunk[^1].Line.Line})";
                throw new JsonlLineException(chunk[0].Line.Path, chunk[0].Line.Line, e.Message + lines, e);
            }

            foreach (object? result in results)
            {
                output.WriteLine(ToJson(result));
            }
        }
    }

    /// <summary>The problem the model would refuse <paramref name="input"/> for (e.g. too long without truncation), or null.</summary>
    private protected virtual string? Check(TInput input) => null;

    /// <summary>The pipeline input of one line.</summary>
    /// <exception cref="JsonlLineException">A field is missing or has the wrong type.</exception>
    private protected abstract TInput Parse(JsonlLine line);

    /// <summary>The JSON-shaped results of a batch, one per input.</summary>
    /// <exception cref="ArgumentException">The model refuses an input.</exception>
    private protected abstract IReadOnlyList<object?> Predict(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken);
}
