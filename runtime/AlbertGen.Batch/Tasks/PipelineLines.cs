namespace AlbertGen.Batch;

/// <summary>A <see cref="JsonlTask{TInput}"/> over a task pipeline and its settings, owning the pipeline when it loaded it.</summary>
public abstract class PipelineLines<TPipeline, TSettings, TInput> : JsonlTask<TInput>
    where TPipeline : class, IDisposable
    where TSettings : JsonlTaskSettings
{
    private protected PipelineLines(TPipeline pipeline, TSettings settings, bool owns)
        : base((settings ?? throw new ArgumentNullException(nameof(settings))).BatchSize, owns ? pipeline : null)
    {
        Pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        Settings = settings;
    }

    /// <summary>The pipeline lines run through.</summary>
    private protected TPipeline Pipeline { get; }

    /// <summary>The task's settings.</summary>
    private protected TSettings Settings { get; }
}
