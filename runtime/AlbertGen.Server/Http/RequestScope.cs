using System.Diagnostics;
using AlbertGen.Server.Engine;
using AlbertGen.Tokenization;

namespace AlbertGen.Server.Http;

/// <summary>
/// One model request on its way through the server: tokenises its inputs on arrival (checking lengths), queues them,
/// and keeps the counts and times that become the response headers, metrics and the request log.
/// </summary>
internal sealed class RequestScope(ServedModel model, AlbertServerOptions options, InferenceQueue queue, CancellationToken aborted)
{
    private static readonly AlbertEncodeOptions Untruncated = new() { Truncation = TruncationStrategy.None };
    private readonly List<WorkItem> _items = [];
    private long _tokenizationTicks;

    public ServedModel Model { get; } = model;

    public AlbertServerOptions Options { get; } = options;

    /// <summary>Inputs in the request.</summary>
    public int Inputs { get; private set; }

    /// <summary>Tokens the model computes for this request (after truncation).</summary>
    public int Tokens { get; private set; }

    /// <summary>Characters of the inputs.</summary>
    public int Characters { get; private set; }

    /// <summary>"single" or "batch" (TEI's <c>method</c> label).</summary>
    public string Method { get; set; } = "single";

    public TimeSpan Tokenization => Stopwatch.GetElapsedTime(0, _tokenizationTicks);

    /// <summary>The longest wait of the request's inputs.</summary>
    public TimeSpan Queue => _items.Count == 0 ? TimeSpan.Zero : _items.Max(i => i.QueueTime);

    /// <summary>Time in the model: the forward passes the request's inputs ran in, each counted once.</summary>
    public TimeSpan Inference => _items.GroupBy(i => i.BatchId).Aggregate(TimeSpan.Zero, (sum, g) => sum + g.First().InferenceTime);

    /// <summary>Checks a client batch against <see cref="AlbertServerOptions.MaxClientBatchSize"/> (413) and emptiness (400).</summary>
    public void CheckBatch(int count, string field)
    {
        if (count == 0)
        {
            throw ApiException.Empty($"\"{field}\" cannot be empty.");
        }

        if (count > Options.MaxClientBatchSize)
        {
            throw ApiException.TooLarge($"batch size {count} > maximum allowed batch size {Options.MaxClientBatchSize} (--max-client-batch-size); split \"{field}\" into smaller requests.");
        }

        Method = count > 1 ? "batch" : Method;
    }

    /// <summary>
    /// Tokenises an input (or pair) and returns its encoding and length after truncation.
    /// </summary>
    /// <param name="text">The text; must not be empty.</param>
    /// <param name="pair">The second text of a pair, or null.</param>
    /// <param name="truncate">Whether a too-long input is cut (else 413).</param>
    /// <param name="what">The input's name in errors (<c>inputs[2]</c>).</param>
    /// <param name="limit">Longest allowed input; null = the model's maximum.</param>
    public (AlbertEncoding Encoding, int Length) Encode(string text, string? pair, bool truncate, string what, int? limit = null)
    {
        if (text.Length == 0 || pair is { Length: 0 })
        {
            throw ApiException.Empty($"{what} cannot be empty.");
        }

        long start = Stopwatch.GetTimestamp();
        AlbertEncoding encoding;
        try
        {
            encoding = Model.Tokenizer.Encode(text, pair, Untruncated);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new ApiException(422, ErrorTypes.Tokenizer, $"{what} could not be tokenised: {e.Message}");
        }
        finally
        {
            _tokenizationTicks += Stopwatch.GetTimestamp() - start;
        }

        int max = limit ?? Model.MaxLength;
        if (encoding.Length > max && !truncate)
        {
            throw ApiException.TooLarge($"{what} has {encoding.Length} tokens; the model takes at most {max}. Send \"truncate\": true to cut it.");
        }

        int length = Math.Min(encoding.Length, max);
        Inputs++;
        Tokens += length;
        Characters += text.Length + (pair?.Length ?? 0);
        return (encoding, length);
    }

    /// <summary>Queues one input.</summary>
    public WorkItem Add(WorkKind kind, object input, int rows, int length)
    {
        var item = new WorkItem(kind, input, rows, length, aborted);
        _items.Add(item);
        return item;
    }

    /// <summary>Queues every added input and waits for all results, in the order added.</summary>
    public async Task<object[]> RunAsync()
    {
        var tasks = new Task<object>[_items.Count];
        for (int i = 0; i < _items.Count; i++)
        {
            tasks[i] = queue.Enqueue(_items[i]);
        }

        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }
}
