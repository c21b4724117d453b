using AlbertGen.Checkpoints;
using AlbertGen.Modeling;
using AlbertGen.Tokenization;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// What differs between fine-tuning tasks: labels, how examples become model rows, which head is trained, and how
/// predictions are scored. <see cref="FineTuner"/> drives any of them the same way.
/// </summary>
internal abstract class TaskAdapter : IDisposable
{
    protected TaskAdapter(AlbertTokenizer tokenizer, FineTuneOptions options, FineTuneSettings settings)
    {
        Tokenizer = tokenizer;
        Options = options;
        Settings = settings;
    }

    protected AlbertTokenizer Tokenizer { get; }

    protected FineTuneOptions Options { get; }

    /// <summary>The run's resolved training settings.</summary>
    protected FineTuneSettings Settings { get; }

    /// <summary>The model being trained (after <see cref="CreateModel"/>).</summary>
    public nn.Module Module => ModelOrNull ?? throw new InvalidOperationException("CreateModel has not been called.");

    /// <summary>The device the model is on, where batches are made.</summary>
    public Device Device => Module.parameters().First().device;

    /// <summary>The model, or null before <see cref="CreateModel"/>.</summary>
    protected abstract nn.Module? ModelOrNull { get; }

    /// <summary>The label names in id order (empty for tasks without labels).</summary>
    public virtual IReadOnlyList<string> LabelNames => [];

    /// <summary>Learns the label vocabulary from the training examples (no-op for tasks without one).</summary>
    public abstract void PrepareLabels(IReadOnlyList<TrainingExample> train);

    /// <summary>Tokenises examples into rows with targets; evaluation rows keep what scoring needs.</summary>
    public abstract List<EncodedExample> Encode(IReadOnlyList<TrainingExample> examples);

    /// <summary>Creates the head for <paramref name="baseConfig"/> (labels filled in) and loads <paramref name="pretrained"/> weights if given.</summary>
    public abstract void CreateModel(AlbertConfig baseConfig, string? pretrained);

    /// <summary>Forward pass with labels; returns the scalar loss (caller disposes).</summary>
    public abstract Tensor Loss(TrainingBatch batch);

    /// <summary>
    /// Scores the model on the evaluation examples (called with the model in eval mode and gradients off).
    /// </summary>
    /// <param name="examples">The examples.</param>
    /// <param name="rows">Their training encoding (<see cref="Encode"/>).</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    /// <param name="padId">The padding id.</param>
    public abstract EvaluationResult Evaluate(IReadOnlyList<TrainingExample> examples, List<EncodedExample> rows, int batchSize, int padId);

    /// <summary>Writes <c>config.json</c> and <c>model.safetensors</c>.</summary>
    public abstract void Save(string directory);

    /// <summary>Disposes the model, if one was created.</summary>
    public void Dispose() => ModelOrNull?.Dispose();

    /// <summary>The location of example <paramref name="index"/>, for error messages.</summary>
    protected static SourceLocation Where(TrainingExample example, int index, string listName = "examples") =>
        example.Location ?? new SourceLocation(listName, index, IsFile: false);

    /// <summary>Options for a text or pair truncated to the run's maximum length.</summary>
    protected AlbertEncodeOptions Truncating => new()
    {
        Truncation = TruncationStrategy.LongestFirst,
        MaxLength = Settings.MaxSequenceLength,
    };

    /// <summary>Rows of a <see cref="EncodedExample"/> from one encoding.</summary>
    protected static (int[][] Ids, int[][] Types) Rows(AlbertEncoding encoding) =>
        ([encoding.InputIds.ToArray()], [encoding.TokenTypeIds.ToArray()]);

    /// <summary>A tensor's values as floats on the CPU.</summary>
    protected static float[] Floats(Tensor t)
    {
        using Tensor cpu = t.detach().to(ScalarType.Float32, CPU).contiguous();
        return cpu.data<float>().ToArray();
    }

    /// <summary>Builds and loads a head model.</summary>
    protected static TModel Build<TModel, TOutput>(Func<AlbertConfig, TModel> create, AlbertConfig config, string? pretrained)
        where TModel : AlbertPreTrainedModel<TOutput>
        where TOutput : AlbertOutput
    {
        TModel model = create(config);
        if (pretrained is not null)
        {
            model.LoadWeights(pretrained, new LoadOptions { InitializeMissingHeads = true });
        }

        return model;
    }
}
