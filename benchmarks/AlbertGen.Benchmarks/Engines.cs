namespace AlbertGen.Benchmarks;

/// <summary>A forward pass prepared for one batch: the inputs are already in the engine's own tensor type.</summary>
internal interface IPreparedRun : IDisposable
{
    /// <summary>Runs the forward pass and releases its outputs (what is timed).</summary>
    void Run();

    /// <summary>Runs the forward pass and copies out <c>last_hidden_state</c> <c>[B·S·H]</c> and <c>pooler_output</c> <c>[B·H]</c> as float32.</summary>
    (float[] LastHiddenState, float[] PoolerOutput) RunAndRead();
}

/// <summary>Something that can run ALBERT's base model on a batch.</summary>
internal interface IEngine : IDisposable
{
    /// <summary>Name used in tables.</summary>
    string Name { get; }

    /// <summary>Converts a batch into the engine's input tensors.</summary>
    IPreparedRun Prepare(BatchInputs inputs);
}
