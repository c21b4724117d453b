using AlbertGen.Checkpoints;
using AlbertGen.Inference;
using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Benchmarks;

/// <summary>The runtime under test: an <see cref="AlbertModel"/> compiled for inference (<see cref="InferenceSession{TOutput}"/>).</summary>
internal sealed class AlbertGenEngine : IEngine
{
    private readonly AlbertModel _model;
    private readonly InferenceSession<AlbertModelOutput> _session;
    private readonly bool _ownsModel;

    private AlbertGenEngine(AlbertModel model, string name, InferenceOptions? inference = null, bool ownsModel = true)
    {
        _model = model;
        _ownsModel = ownsModel;
        _session = model.CompileForInference(inference);
        Name = name;
    }

    /// <summary>The session the engine runs (its kernels and warnings).</summary>
    public InferenceSession<AlbertModelOutput> Session => _session;

    public string Name { get; }

    /// <summary>The model (for accuracy checks).</summary>
    public AlbertModel Model => _model;

    /// <summary>Loads a model directory in the given dtype.</summary>
    public static AlbertGenEngine Load(string directory, ScalarType dtype, string name) =>
        Load(directory, new LoadOptions { DType = dtype == ScalarType.Float32 ? null : dtype }, null, name);

    /// <summary>Loads a model directory with the given options; the model is disposed if its session cannot be compiled.</summary>
    public static AlbertGenEngine Load(string directory, LoadOptions options, InferenceOptions? inference, string name)
    {
        AlbertModel model = AlbertModel.FromPretrained(directory, options);
        try
        {
            return new AlbertGenEngine(model, name, inference);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Compiles a session for a model already built (loaded, or randomly initialised for shapes that have no checkpoint).</summary>
    public static AlbertGenEngine Wrap(AlbertModel model, string name, bool ownsModel = true)
    {
        model.eval();
        return new AlbertGenEngine(model, name, ownsModel: ownsModel);
    }

    public IPreparedRun Prepare(BatchInputs inputs) => new Prepared(_session, inputs);

    public void Dispose()
    {
        _session.Dispose();
        if (_ownsModel)
        {
            _model.Dispose();
        }
    }

    private sealed class Prepared : IPreparedRun
    {
        private readonly InferenceSession<AlbertModelOutput> _session;
        private readonly Tensor _ids, _mask, _types;
        private readonly AlbertInputs _inputs;

        public Prepared(InferenceSession<AlbertModelOutput> session, BatchInputs batch)
        {
            _session = session;
            long[] shape = [batch.Batch, batch.Sequence];
            _ids = tensor(batch.InputIds, shape);
            _mask = tensor(batch.AttentionMask, shape);
            _types = tensor(batch.TokenTypeIds, shape);
            _inputs = new AlbertInputs { InputIds = _ids, AttentionMask = _mask, TokenTypeIds = _types };
        }

        public void Run()
        {
            using AlbertModelOutput output = _session.Run(_inputs);
        }

        public (float[] LastHiddenState, float[] PoolerOutput) RunAndRead()
        {
            using var inference = inference_mode();
            using AlbertModelOutput output = _session.Run(_inputs);
            return (ToFloats(output.LastHiddenState), output.PoolerOutput is { } p ? ToFloats(p) : []);
        }

        private static float[] ToFloats(Tensor t)
        {
            using Tensor f = t.to(ScalarType.Float32).contiguous();
            return f.data<float>().ToArray();
        }

        public void Dispose()
        {
            _ids.Dispose();
            _mask.Dispose();
            _types.Dispose();
        }
    }
}
