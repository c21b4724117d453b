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
/// instance disposes it only when asked to (<c>ownsModel</c>).</para>
/// </remarks>
public abstract class AlbertPipeline<TModel, TOutput> : IDisposable
    where TModel : AlbertPreTrainedModel<TOutput>
    where TOutput : AlbertOutput
{
    private readonly bool _ownsModel;
    private readonly Lock _recompiling = new();
    private InferenceSession<TOutput> _session;
    private bool _disposed;

    /// <summary>Checks the pieces fit together and puts the model in eval mode.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">The tokenizer of the model's vocabulary.</param>
    /// <param name="options">Shared settings; null = <see cref="PipelineOptions.Default"/>.</param>
    /// <param name="ownsModel">Whether <see cref="Dispose()"/> disposes the model.</param>
    /// <exception cref="ArgumentException">The tokenizer's vocabulary size differs from the model's, or an option is out of range.</exception>
    private protected AlbertPipeline(TModel model, AlbertTokenizer tokenizer, PipelineOptions? options, bool ownsModel)
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
        model.eval();
        _session = model.CompileForInference(Options.Inference);
    }

    /// <summary>
    /// The inference session the pipeline runs (its kernels, products' dtype and warnings); replaced by a new one when the
    /// model's weights change.
    /// </summary>
    public InferenceSession<TOutput> Session
    {
        get
        {
            InferenceSession<TOutput> session = Volatile.Read(ref _session);
            if (session.IsCurrent)
            {
                return session;
            }

            lock (_recompiling)
            {
                session = _session;
                if (!session.IsCurrent)
                {
                    InferenceSession<TOutput> stale = session;
                    session = Model.CompileForInference(Options.Inference);
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
            _session.Dispose();
            if (_ownsModel)
            {
                Model.Dispose();
            }
        }
    }

    /// <summary>Throws when disposed.</summary>
    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Encoding settings: the pipeline's truncation and length, batches padded to their longest row.</summary>
    private protected AlbertEncodeOptions BatchEncodeOptions => new()
    {
        Truncation = Options.Truncation ? TruncationStrategy.LongestFirst : TruncationStrategy.None,
        MaxLength = MaxLength,
        Padding = PaddingStrategy.Longest,
    };

    /// <summary>
    /// Encodes inputs a batch at a time and hands each padded batch, with the index of its first input, to
    /// <paramref name="run"/>; checks cancellation between batches.
    /// </summary>
    private protected void ForEachBatch(
        IReadOnlyList<(string Text, string? TextPair)> inputs,
        CancellationToken cancellationToken,
        Action<int, AlbertBatchEncoding> run)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ThrowIfDisposed();
        for (int first = 0; first < inputs.Count; first += Options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(Options.BatchSize, inputs.Count - first);
            var chunk = new (string, string?)[count];
            for (int i = 0; i < count; i++)
            {
                chunk[i] = inputs[first + i];
                if (chunk[i].Item1 is null)
                {
                    throw new ArgumentNullException(nameof(inputs), $"Input {first + i} is null.");
                }
            }

            AlbertBatchEncoding batch = Tokenizer.EncodeBatch(chunk, BatchEncodeOptions);
            for (int i = 0; i < batch.Count; i++)
            {
                CheckLength(batch[i], first + i);
            }

            run(first, batch);
        }
    }

    /// <summary>Refuses an input longer than <see cref="MaxLength"/> (only possible with truncation off).</summary>
    private protected void CheckLength(AlbertEncoding encoding, int index)
    {
        int real = encoding.AttentionMask.Count(a => a != 0);
        if (real > MaxLength)
        {
            throw new ArgumentException(
                $"Input {index} has {real} tokens; the model takes at most {MaxLength}. Shorten it or enable truncation (PipelineOptions.Truncation).");
        }
    }

    /// <summary>
    /// Runs the model on equal-length rows and reads what is needed into managed memory; every tensor is disposed before
    /// this returns.
    /// </summary>
    /// <param name="rows">Encodings of one length.</param>
    /// <param name="read">Reads the output; must return managed data only.</param>
    /// <param name="shape">Turns the <c>[rows, S]</c> tensors into the model's inputs (for example <c>[B, C, S]</c>); null = as they are.</param>
    private protected TResult Run<TResult>(IReadOnlyList<AlbertEncoding> rows, Func<TOutput, AlbertInputTensors, TResult> read, Func<AlbertInputTensors, AlbertInputs>? shape = null)
    {
        ThrowIfDisposed();
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        InferenceSession<TOutput> session = Session;
        using AlbertInputTensors tensors = AlbertInputTensors.Create(rows, Model.Device);
        AlbertInputs inputs = shape?.Invoke(tensors) ?? new AlbertInputs
        {
            InputIds = tensors.InputIds,
            AttentionMask = tensors.AttentionMask,
            TokenTypeIds = tensors.TokenTypeIds,
        };

        using (TOutput output = session.Run(inputs))
        {
            return read(output, tensors);
        }
    }

    /// <summary>A tensor's values as float32, row-major.</summary>
    private protected static float[] ToArray(Tensor tensor) => tensor.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
}
