using System.Diagnostics;
using AlbertGen.Server.Engine;
using AlbertGen.Tasks;

namespace AlbertGen.Server.Http;

/// <summary>
/// One model request on its way through the server: preprocesses its inputs with the pipelines' preprocess stage on the
/// request's thread (each input tokenised once, lengths checked), queues the encodings for the batcher's forward passes,
/// postprocesses the outputs on the request's thread again, and keeps the counts and times that become the response
/// headers, metrics and the request log.
/// </summary>
internal sealed class RequestScope(ServedModel model, string modelName, AlbertServerOptions options, InferenceQueue queue, CancellationToken aborted)
{
    private readonly List<WorkItem> _items = [];
    private long _tokenizationTicks;
    private long _postprocessingTicks;

    public ServedModel Model { get; } = model;

    /// <summary>The served model's name (OpenAI responses' <c>model</c>).</summary>
    public string ModelName { get; } = modelName;

    public AlbertServerOptions Options { get; } = options;

    /// <summary>Inputs in the request.</summary>
    public int Inputs { get; private set; }

    /// <summary>Tokens the model computes for this request (after truncation; every window of a long context).</summary>
    public int Tokens { get; private set; }

    /// <summary>Characters of the inputs.</summary>
    public int Characters { get; private set; }

    /// <summary>"single" or "batch" (TEI's <c>method</c> label).</summary>
    public string Method { get; set; } = "single";

    public TimeSpan Tokenization => Stopwatch.GetElapsedTime(0, _tokenizationTicks);

    public TimeSpan Postprocessing => Stopwatch.GetElapsedTime(0, _postprocessingTicks);

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

    /// <summary>Refuses an empty text (400) before it reaches a pipeline.</summary>
    public static void NotEmpty(string text, string what)
    {
        if (text.Length == 0)
        {
            throw ApiException.Empty($"{what} cannot be empty.");
        }
    }

    /// <summary>
    /// Runs a pipeline's preprocess stage on one input, timed as tokenisation. A too-long input is 413; a tokenizer's
    /// refusal is 422 <c>tokenizer</c>; the pipeline's own refusal (no <c>[MASK]</c>, …) becomes <paramref name="invalid"/>'s
    /// error, by default 422 naming the input.
    /// </summary>
    /// <param name="what">The input's name in errors (<c>inputs[2]</c>).</param>
    /// <param name="characters">The input's characters, for <c>x-compute-characters</c>.</param>
    /// <param name="preprocess">The stage call.</param>
    /// <param name="invalid">Turns the pipeline's <see cref="ArgumentException"/> into the response's error; null = 422 with its message.</param>
    public TPrepared Preprocess<TPrepared>(string what, int characters, Func<TPrepared> preprocess, Func<ArgumentException, ApiException>? invalid = null)
        where TPrepared : PreparedInput
    {
        long start = Stopwatch.GetTimestamp();
        TPrepared prepared;
        try
        {
            prepared = preprocess();
        }
        catch (InputTooLongException e)
        {
            throw ApiException.TooLarge($"{what} has {e.Tokens} tokens; the model takes at most {e.MaxTokens}. Send \"truncate\": true to cut it.");
        }
        catch (ArgumentException e)
        {
            throw invalid?.Invoke(e) ?? ApiException.Invalid($"{what}: {e.Message}");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new ApiException(422, ErrorTypes.Tokenizer, $"{what} could not be tokenised: {e.Message}");
        }
        finally
        {
            _tokenizationTicks += Stopwatch.GetTimestamp() - start;
        }

        Inputs++;
        Tokens += prepared.Tokens;
        Characters += characters;
        return prepared;
    }

    /// <summary>Adds one preprocessed input for the batcher (queued by <see cref="RunAsync"/>).</summary>
    public WorkItem<TPrepared, TRaw> Add<TPrepared, TRaw>(ForwardStage<TPrepared, TRaw> stage, TPrepared input)
        where TPrepared : PreparedInput
    {
        WorkItem<TPrepared, TRaw> item = stage.Item(input, aborted);
        _items.Add(item);
        return item;
    }

    /// <summary>Queues every added input (once all were preprocessed, so a bad input queues none) and waits for their forward passes.</summary>
    public async Task RunAsync<TPrepared, TRaw>(IReadOnlyList<WorkItem<TPrepared, TRaw>> items)
        where TPrepared : PreparedInput
    {
        foreach (WorkItem item in items)
        {
            queue.Enqueue(item);
        }

        await Task.WhenAll(items.Select(i => i.Completion)).ConfigureAwait(false);
    }

    /// <summary>Runs a postprocess stage on the request's thread, timed.</summary>
    public T Postprocess<T>(Func<T> postprocess)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return postprocess();
        }
        finally
        {
            _postprocessingTicks += Stopwatch.GetTimestamp() - start;
        }
    }
}
