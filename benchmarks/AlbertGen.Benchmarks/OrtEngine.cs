using Microsoft.ML.OnnxRuntime;

namespace AlbertGen.Benchmarks;

/// <summary>ONNX Runtime on the exported anchor (<c>ORT_ENABLE_ALL</c>, sequential, 2 intra-op threads).</summary>
internal sealed class OrtEngine : IEngine
{
    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];
    private static readonly string[] OutputNames = ["last_hidden_state", "pooler_output"];

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();

    /// <summary>Creates the session (the expensive part of loading).</summary>
    public OrtEngine(string onnxPath, int threads)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        _session = new InferenceSession(onnxPath, options);
    }

    public string Name => "ONNX Runtime";

    /// <summary>The ONNX Runtime version.</summary>
    public static string Version => OrtEnv.Instance().GetVersionString();

    public IPreparedRun Prepare(BatchInputs inputs) => new Prepared(this, inputs);

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }

    private sealed class Prepared : IPreparedRun
    {
        private readonly OrtEngine _engine;
        private readonly OrtValue[] _values;

        public Prepared(OrtEngine engine, BatchInputs batch)
        {
            _engine = engine;
            long[] shape = [batch.Batch, batch.Sequence];
            _values =
            [
                OrtValue.CreateTensorValueFromMemory(batch.InputIds, shape),
                OrtValue.CreateTensorValueFromMemory(batch.AttentionMask, shape),
                OrtValue.CreateTensorValueFromMemory(batch.TokenTypeIds, shape),
            ];
        }

        public void Run()
        {
            using IDisposableReadOnlyCollection<OrtValue> outputs = _engine._session.Run(_engine._runOptions, InputNames, _values, OutputNames);
        }

        public (float[] LastHiddenState, float[] PoolerOutput) RunAndRead()
        {
            using IDisposableReadOnlyCollection<OrtValue> outputs = _engine._session.Run(_engine._runOptions, InputNames, _values, OutputNames);
            return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
        }

        public void Dispose()
        {
            foreach (OrtValue v in _values)
            {
                v.Dispose();
            }
        }
    }
}
