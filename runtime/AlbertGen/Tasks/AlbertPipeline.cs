using AlbertGen.Inference;
using AlbertGen.Modeling;
using AlbertGen.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Tasks;

/// <summary>
/// What every task pipeline shares: a model in eval mode compiled for inference (<see cref="Session"/>), its tokenizer, the
/// length limit, batching, and the forward pass with every tensor disposed before results are returned.
/// </summary>
/// <typeparam name="TModel">The model class (a generated typed model may derive from it).</typeparam>
/// <typeparam name="TOutput">The model's output record.</typeparam>
/// <remarks>
/// <para><b>Thread safety.</b> A pipeline may be used from several threads at once: the tokenizer is thread-safe and the
/// inference session runs from many threads at once without locks. When the model's weights change (reloaded, trained,
/// edited), the next call compiles a new session; do not change the model while other threads run the pipeline.</para>
/// <para><b>Ownership.</b> A pipeline made by <c>FromPretrained</c> owns its model and disposes it; one built from a model
/// instance disposes it only when asked to (<c>ownsModel</c>). A pipeline built on another pipeline's session (the
/// embeddings of a head model's encoder) owns neither the model nor the session.</para>
/// </remarks>
public abstract class AlbertPipeline<TModel, TOutput> : IDisposable
    where TModel : AlbertPreTrainedModel<TOutput>
    where TOutput : AlbertOutput
{
    private readonly bool _ownsModel;
    private readonly Lock _recompiling = new();
    private readonly Func<InferenceSession<TOutput>>? _borrowed; // another pipeline's current session, which it compiles and disposes
    private InferenceSession<TOutput>? _session;
    private long _tokenizerCalls;
    private int _sessionsCompiled;
    private bool _disposed;

    /// <summary>Checks the pieces fit together and puts the model in eval mode.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">The tokenizer of the model's vocabulary.</param>
    /// <param name="options">Shared settings; null = <see cref="PipelineOptions.Default"/>.</param>
    /// <param name="ownsModel">Whether <see cref="Dispose()"/> disposes the model.</param>
    /// <exception cref="ArgumentException">The tokenizer's vocabulary size differs from the model's, or an option is out of range.</exception>
    private protected AlbertPipeline(TModel model, AlbertTokenizer tokenizer, PipelineOptions? options, bool ownsModel)
        : this(model, tokenizer, options, ownsModel, borrowed: null)
    {
    }

    /// <summary>
    /// Builds a pipeline that runs <paramref name="session"/>'s session (another pipeline's, on the model
    /// <paramref name="model"/> belongs to) instead of compiling its own; it owns neither the model nor the session.
    /// </summary>
    private protected AlbertPipeline(TModel model, AlbertTokenizer tokenizer, PipelineOptions? options, Func<InferenceSession<TOutput>> session)
        : this(model, tokenizer, options, ownsModel: false, borrowed: session ?? throw new ArgumentNullException(nameof(session)))
    {
    }

    private AlbertPipeline(TModel model, AlbertTokenizer tokenizer, PipelineOptions? options, bool ownsModel, Func<InferenceSession<TOutput>>? borrowed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Options = options ?? PipelineOptions.Default;
        if (tokenizer.VocabularySize != model.Config.VocabSize)
        {
            throw new ArgumentException(
                $"The tokenizer has {tokenizer.VocabularySize} ids but the model's vocab_size is {model.Config.VocabSize}; they are not made for each other.",
                nameof(tokenizer));
        }

        if (Options.BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), Options.BatchSize, "BatchSize must be at least 1.");
        }

        int modelMax = Math.Min(tokenizer.MaxLength, model.Config.MaxPositionEmbeddings);
        if (Options.MaxLength is int max && (max < 3 || max > modelMax))
        {
            throw new ArgumentOutOfRangeException(nameof(options), max,
                $"MaxLength must be between 3 and the model's maximum, {modelMax} tokens.");
        }

        if (Options.Device is { } device && !AlbertDevice.Same(device, model.Device))
        {
            throw new ArgumentException(
                $"PipelineOptions.Device is {AlbertDevice.Name(device)} but the model is on {AlbertDevice.Name(model.Device)}; move the model with to(device) first.",
                nameof(options));
        }

        Model = model;
        Tokenizer = tokenizer;
        MaxLength = Options.MaxLength ?? modelMax;
        _ownsModel = ownsModel;
        _borrowed = borrowed;
        if (borrowed is null)
        {
            model.eval();
            _session = Compile();
        }
    }

    /// <summary>
    /// The inference session the pipeline runs (its kernels, products' dtype and warnings); replaced by a new one when the
    /// model's weights change.
    /// </summary>
    public InferenceSession<TOutput> Session
    {
        get
        {
            if (_borrowed is not null)
            {
                return _borrowed();
            }

            InferenceSession<TOutput> session = Volatile.Read(ref _session)!;
            if (session.IsCurrent)
            {
                return session;
            }

            lock (_recompiling)
            {
                session = _session!;
                if (!session.IsCurrent)
                {
                    InferenceSession<TOutput> stale = session;
                    session = Compile();
                    Volatile.Write(ref _session, session);
                    stale.Dispose(); // runs still in progress keep it alive until they end
                }

                return session;
            }
        }
    }

    /// <summary>The model (in eval mode).</summary>
    public TModel Model { get; }

    /// <summary>The tokenizer.</summary>
    public AlbertTokenizer Tokenizer { get; }

    /// <summary>The shared settings.</summary>
    public PipelineOptions Options { get; }

    /// <summary>Longest input in tokens, special tokens included (see <see cref="PipelineOptions.MaxLength"/>).</summary>
    public int MaxLength { get; }

    /// <summary>Disposes the inference session, and the model when the pipeline owns it.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the model when the pipeline owns it.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (disposing)
        {
            _session?.Dispose();
            if (_ownsModel)
            {
                Model.Dispose();
            }
        }
    }

    /// <summary>Throws when disposed.</summary>
    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>How many inference sessions the pipeline has compiled (one, and one more each time the weights changed; none when it runs another pipeline's).</summary>
    internal int SessionsCompiled => Volatile.Read(ref _sessionsCompiled);

    /// <summary>How many times the pipeline has called its tokenizer to encode an input (preprocess stages only).</summary>
    internal long TokenizerCalls => Interlocked.Read(ref _tokenizerCalls);

    /// <summary>
    /// Encodes one row unpadded (the forward stage pads each pass to its longest row), cut to <see cref="MaxLength"/> when
    /// <paramref name="truncate"/> (null = <see cref="PipelineOptions.Truncation"/>) is on.
    /// </summary>
    /// <exception cref="InputTooLongException">The row is longer than <see cref="MaxLength"/> and truncation is off.</exception>
    private protected AlbertEncoding EncodeRow(string text, string? pair, bool? truncate)
    {
        ArgumentNullException.ThrowIfNull(text);
        ThrowIfDisposed();
        bool cut = truncate ?? Options.Truncation;
        AlbertEncoding encoding = Encode(text, pair, new AlbertEncodeOptions
        {
            Truncation = cut ? TruncationStrategy.LongestFirst : TruncationStrategy.None,
            MaxLength = cut ? MaxLength : null,
        });
        if (encoding.Length > MaxLength)
        {
            throw new InputTooLongException(encoding.Length, MaxLength);
        }

        return encoding;
    }

    private InferenceSession<TOutput> Compile()
    {
        Interlocked.Increment(ref _sessionsCompiled);
        return Model.CompileForInference(Options.Inference);
    }

    /// <summary>Every tokenisation of a preprocess stage goes through here, so tests can count them.</summary>
    private protected AlbertEncoding Encode(string text, string? pair, AlbertEncodeOptions options)
    {
        Interlocked.Increment(ref _tokenizerCalls);
        return Tokenizer.Encode(text, pair, options);
    }

    /// <summary>
    /// The one-call API: preprocesses every input, runs them through <paramref name="forward"/> in chunks of at most
    /// <see cref="PipelineOptions.BatchSize"/> rows (an input is never split), and postprocesses each.
    /// </summary>
    private protected TResult[] Compose<TPrepared, TRaw, TResult>(
        IReadOnlyList<TPrepared> prepared,
        Func<IReadOnlyList<TPrepared>, IReadOnlyList<TRaw>> forward,
        Func<TPrepared, TRaw, TResult> postprocess,
        CancellationToken cancellationToken)
        where TPrepared : PreparedInput
    {
        ThrowIfDisposed();
        var results = new TResult[prepared.Count];
        int first = 0;
        while (first < prepared.Count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int end = first + 1;
            int rows = prepared[first].RowCount;
            while (end < prepared.Count && rows + prepared[end].RowCount <= Options.BatchSize)
            {
                rows += prepared[end].RowCount;
                end++;
            }

            TPrepared[] chunk = [.. prepared.Skip(first).Take(end - first)];
            IReadOnlyList<TRaw> raw = forward(chunk);
            for (int i = 0; i < chunk.Length; i++)
            {
                results[first + i] = postprocess(chunk[i], raw[i]);
            }

            first = end;
        }

        return results;
    }

    /// <summary>Preprocesses inputs in order; an error names the input's index.</summary>
    private protected static TPrepared[] PreprocessAll<TInput, TPrepared>(IReadOnlyList<TInput> inputs, Func<TInput, TPrepared> preprocess)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var prepared = new TPrepared[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            try
            {
                prepared[i] = preprocess(inputs[i]);
            }
            catch (InputTooLongException e)
            {
                throw new InputTooLongException(e.Tokens, e.MaxTokens, i);
            }
            catch (ArgumentNullException)
            {
                throw new ArgumentNullException(nameof(inputs), $"Input {i} is null.");
            }
            catch (ArgumentException e) when (e is not ArgumentOutOfRangeException)
            {
                throw new ArgumentException($"Input {i}: {e.Message}", e);
            }
        }

        return prepared;
    }

    /// <summary>Every input's rows, in order: the rows of one forward pass.</summary>
    private protected static List<AlbertEncoding> RowsOf(IEnumerable<PreparedInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return [.. inputs.SelectMany(i => i.Rows)];
    }

    /// <summary>
    /// Runs the model once on rows of any lengths, padded to the longest, and reads what is needed into managed memory;
    /// every tensor is disposed before this returns.
    /// </summary>
    /// <param name="rows">The rows of the pass (unpadded encodings).</param>
    /// <param name="read">Reads the output given the <c>[rows, S]</c> attention mask; must return managed data only.</param>
    /// <param name="shape">Turns the <c>[rows, S]</c> inputs into the model's inputs (for example <c>[B, C, S]</c>); null = as they are.</param>
    private protected TResult Run<TResult>(IReadOnlyList<AlbertEncoding> rows, Func<TOutput, Tensor, TResult> read, Func<AlbertInputs, AlbertInputs>? shape = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ThrowIfDisposed();
        if (rows.Count == 0)
        {
            throw new ArgumentException("A forward pass needs at least one input.", nameof(rows));
        }

        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        InferenceSession<TOutput> session = Session;
        AlbertInputs inputs = PaddedInputs(rows);
        Tensor mask = inputs.AttentionMask!;
        inputs = shape?.Invoke(inputs) ?? inputs;
        using (TOutput output = session.Run(inputs))
        {
            return read(output, mask);
        }
    }

    /// <summary>Rows of unequal lengths as <c>[rows, longest]</c> tensors, padded with the pad id, attention 0 and type 0.</summary>
    private AlbertInputs PaddedInputs(IReadOnlyList<AlbertEncoding> rows)
    {
        int longest = rows.Max(r => r.Length);
        var ids = new long[rows.Count * longest];
        var attention = new long[ids.Length];
        var types = new long[ids.Length];
        Array.Fill(ids, Tokenizer.PadTokenId);
        for (int r = 0; r < rows.Count; r++)
        {
            AlbertEncoding row = rows[r];
            for (int i = 0; i < row.Length; i++)
            {
                int at = (r * longest) + i;
                ids[at] = row.InputIds[i];
                attention[at] = row.AttentionMask[i];
                types[at] = row.TokenTypeIds[i];
            }
        }

        long[] shape = [rows.Count, longest];
        return new AlbertInputs
        {
            InputIds = tensor(ids, shape, ScalarType.Int64, Model.Device),
            AttentionMask = tensor(attention, shape, ScalarType.Int64, Model.Device),
            TokenTypeIds = tensor(types, shape, ScalarType.Int64, Model.Device),
        };
    }

    /// <summary>A tensor's values as float32, row-major.</summary>
    private protected static float[] ToArray(Tensor tensor) => tensor.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
}
