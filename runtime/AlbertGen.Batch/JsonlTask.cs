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
    /// Checks every line, then runs them a batch at a time and writes one JSON line per input, in order. When a batch
    /// fails on bad input, its inputs are retried one by one so the error names the line at fault.
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
    /// Runs inputs already taken from their lines a batch at a time and writes one JSON line per input, in order. When a
    /// batch fails on bad input, its inputs are retried one by one so the error names the line at fault.
    /// </summary>
    /// <exception cref="JsonlLineException">The model refuses a line's input.</exception>
    public void RunParsed(IReadOnlyList<(JsonlLine Line, TInput Input)> inputs, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(output);
        for (int first = 0; first < inputs.Count; first += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = inputs.Skip(first).Take(BatchSize).ToList();
            IReadOnlyList<object?> results;
            try
            {
                results = Predict([.. chunk.Select(c => c.Input)], cancellationToken);
            }
            catch (ArgumentException)
            {
                foreach ((JsonlLine line, TInput input) in chunk)
                {
                    try
                    {
                        Predict([input], cancellationToken);
                    }
                    catch (ArgumentException e)
                    {
                        throw new JsonlLineException(line.Path, line.Line, e.Message, e);
                    }
                }

                throw;
            }

            foreach (object? result in results)
            {
                output.WriteLine(ToJson(result));
            }
        }
    }

    /// <summary>The pipeline input of one line.</summary>
    /// <exception cref="JsonlLineException">A field is missing or has the wrong type.</exception>
    private protected abstract TInput Parse(JsonlLine line);

    /// <summary>The JSON-shaped results of a batch, one per input.</summary>
    /// <exception cref="ArgumentException">The model refuses an input.</exception>
    private protected abstract IReadOnlyList<object?> Predict(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken);
}
