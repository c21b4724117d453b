using AlbertGen.Runtime;
using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Inference;

/// <summary>
/// A model compiled for inference (<see cref="InferenceCompiler.CompileForInference{TOutput}"/>): the transformer layers'
/// products on kernels chosen for the CPU, with their fused, converted or prepacked weights, and the attention on
/// libtorch's fused kernel. Embeddings, masks and task heads run the model's own code, so every output is the model's
/// output (equal to the plain model within 1e-5 in float32).
/// </summary>
/// <remarks>
/// <para>
/// Immutable: everything is decided and made when the session is compiled, so one session may run from many threads at once
/// (no locks). <see cref="Dispose"/> may be called while other threads run; the last run frees the session.
/// </para>
/// <para>
/// Never stale: the session remembers the model's weights as they were compiled. Reloading the model
/// (<c>LoadWeights</c>, TorchSharp's <c>load</c>/<c>load_state_dict</c>), converting it (<c>to(…)</c>), switching it between
/// <c>train()</c> and <c>eval()</c>, replacing a parameter or changing one in place (an optimizer step, <c>copy_</c>,
/// <c>mul_</c>) makes <see cref="IsCurrent"/> false, and <see cref="Run"/> then throws instead of computing from old
/// weights: compile a new session. Task pipelines do that by themselves.
/// </para>
/// <para>
/// Passes that ask for attention maps or a head mask run the model's general path (the kernels are for the fused attention).
/// </para>
/// </remarks>
/// <typeparam name="TOutput">The model's output record.</typeparam>
public sealed class InferenceSession<TOutput> : IDisposable
    where TOutput : AlbertOutput
{
    private const int DisposedFlag = 1 << 30;
    private const int FreedFlag = 1 << 29;
    private readonly AlbertPreTrainedModel<TOutput> _model;
    private readonly CompiledEncoder _encoder;
    private readonly WeightWatch _watch;
    private readonly (Action Enter, Action Exit)? _host; // a body session's host: it owns the compiled layers
    private InferenceSession<AlbertModelOutput>? _body;
    private int _state; // runs in progress, plus DisposedFlag once disposed

    internal InferenceSession(
        AlbertPreTrainedModel<TOutput> model, CompiledEncoder encoder, WeightWatch watch, CpuFeatures cpu, ScalarType matMulDType, IReadOnlyList<string> warnings,
        (Action Enter, Action Exit)? host = null)
    {
        _model = model;
        _host = host;
        _encoder = encoder;
        _watch = watch;
        Cpu = cpu;
        MatMulDType = matMulDType;
        Warnings = warnings;
        FusedLayers = encoder.Fused is { } fused ? FusedPathChoice.Describe(fused.Mapping.Name, runs: true) : null;
        Products = encoder.Products();
    }

    /// <summary>The model the session runs (it reads the model's parameters; do not dispose the model first).</summary>
    public AlbertPreTrainedModel<TOutput> Model => _model;

    /// <summary>The CPU features the kernels were chosen for.</summary>
    public CpuFeatures Cpu { get; }

    /// <summary>The dtype the layers' products run in (the requested one, or the model's when the CPU cannot run it natively).</summary>
    public ScalarType MatMulDType { get; }

    /// <summary>
    /// The fused layers (<see cref="InferenceOptions.FusedLayers"/>) and the calls that take them instead of
    /// <see cref="Products"/>, e.g. <c>fused-managed-avx512-fp32 for every call</c>; null
    /// when every call runs the per-product path.
    /// </summary>
    public string? FusedLayers { get; }

    /// <summary>The kernel of every product of every distinct layer.</summary>
    public IReadOnlyList<ProductKernelChoice> Products { get; }

    /// <summary>What the session did differently from what was asked, one line each (e.g. float32 instead of bfloat16 products).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Whether the model's weights are still those the session was compiled from.</summary>
    public bool IsCurrent => _watch.Change() is null;

    /// <summary>
    /// Runs the model on <paramref name="inputs"/> under <c>torch.inference_mode()</c>. The output owns its tensors (inference
    /// tensors: they take no part in autograd).
    /// </summary>
    /// <param name="inputs">The inputs, as for the model's <c>forward</c>.</param>
    /// <returns>The model's output.</returns>
    /// <exception cref="InvalidOperationException">The model's weights changed after the session was compiled.</exception>
    /// <exception cref="ObjectDisposedException">The session was disposed.</exception>
    /// <exception cref="AlbertInputException">An input is missing, mis-shaped or out of range.</exception>
    public TOutput Run(AlbertInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Enter();
        try
        {
            if (_watch.Change() is { } change)
            {
                throw new InvalidOperationException(
                    $"The {_model.HuggingFaceClassName}'s weights changed after this inference session was compiled ({change}); compile a new session with CompileForInference().");
            }

            TOutput output;
            using (inference_mode())
            {
                output = _model.Forward(inputs, _encoder);
            }

            NativeHeapTrimming.AfterForward();
            return output;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// The same compiled layers under the model's body alone (<see cref="AlbertPreTrainedModel{TOutput}.Body"/>: embeddings,
    /// encoder, pooler; no task head), for the last hidden state of a head model without a second session. It is current
    /// exactly when this session is; while it runs it keeps this session's layers alive; it owns nothing (disposing it does
    /// nothing) and stops when this session is disposed.
    /// </summary>
    internal InferenceSession<AlbertModelOutput> Body() =>
        this is InferenceSession<AlbertModelOutput> self && ReferenceEquals(_model, _model.Body)
            ? self
            : LazyInitializer.EnsureInitialized(ref _body, () => new InferenceSession<AlbertModelOutput>(_model.Body, _encoder, _watch, Cpu, MatMulDType, Warnings, (Enter, Exit)));

    /// <summary>Frees the session's kernels and weights (at the end of the last run in progress, if any); the model is not touched.</summary>
    public void Dispose()
    {
        if (_host is not null)
        {
            return; // a body session owns nothing; it stops when its host is disposed
        }

        if ((Interlocked.Or(ref _state, DisposedFlag) & DisposedFlag) == 0)
        {
            TryFree();
        }
    }

    private void Enter()
    {
        _host?.Enter();
        if ((Interlocked.Increment(ref _state) & DisposedFlag) != 0)
        {
            Exit();
            throw new ObjectDisposedException(nameof(InferenceSession<TOutput>));
        }
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _state) == DisposedFlag)
        {
            TryFree();
        }

        _host?.Exit();
    }

    /// <summary>Frees the kernels once: only when disposed with no run in progress, and only by the caller that marks it freed.</summary>
    private void TryFree()
    {
        if (Interlocked.CompareExchange(ref _state, DisposedFlag | FreedFlag, DisposedFlag) == DisposedFlag)
        {
            _encoder.Dispose();
        }
    }
}
