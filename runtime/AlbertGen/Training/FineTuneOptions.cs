using AlbertGen.Tokenization;

namespace AlbertGen.Training;

/// <summary>
/// Settings of a fine-tuning run (<see cref="FineTuner.RunAsync"/>). The nullable training settings (learning rate,
/// epochs, batch size, warm-up, …) left null come from the model's <c>finetune_defaults.json</c>, else from
/// <see cref="FineTuneDefaults.HuggingFace"/> (see <see cref="FineTuneSettings.Resolve"/>).
/// </summary>
public sealed record FineTuneOptions
{
    /// <summary>The task; decides the head, the example fields and the metric.</summary>
    public FineTuneTask Task { get; init; } = FineTuneTask.SequenceClassification;

    /// <summary>A pretrained HuggingFace directory (<c>config.json</c>, <c>model.safetensors</c>, <c>spiece.model</c>). Its body
    /// weights are loaded; the task head starts random. Null trains from <see cref="Config"/> with random weights.</summary>
    public string? ModelDirectory { get; init; }

    /// <summary>The model config when <see cref="ModelDirectory"/> is null (labels are filled in from the data).</summary>
    public AlbertConfig? Config { get; init; }

    /// <summary>The tokenizer; null loads the one of <see cref="ModelDirectory"/> (<see cref="Tokenization.AlbertTokenizer.FromDirectory"/>).</summary>
    public AlbertTokenizer? Tokenizer { get; init; }

    /// <summary>Training file (<c>.jsonl</c>/<c>.json</c>/<c>.csv</c>, see <see cref="TrainingDataReader"/>); or use <see cref="TrainExamples"/>.</summary>
    public string? TrainFile { get; init; }

    /// <summary>In-memory training examples, used when <see cref="TrainFile"/> is null.</summary>
    public IReadOnlyList<TrainingExample>? TrainExamples { get; init; }

    /// <summary>Evaluation file, evaluated after every epoch; null (and no <see cref="EvalExamples"/>) = no evaluation.</summary>
    public string? EvalFile { get; init; }

    /// <summary>In-memory evaluation examples, used when <see cref="EvalFile"/> is null.</summary>
    public IReadOnlyList<TrainingExample>? EvalExamples { get; init; }

    /// <summary>Where the checkpoint (HuggingFace layout), <c>loss_curve.csv</c> and <c>loss_curve.png</c> are written.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Label names in id order; null derives them from the training data (see <see cref="LabelSet"/>).</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>Passes over the training data.</summary>
    public int? Epochs { get; init; }

    /// <summary>Examples per forward pass.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Examples per evaluation forward pass.</summary>
    public int EvalBatchSize { get; init; } = 32;

    /// <summary>Forward passes whose gradients are summed (each loss divided by this) before one update.</summary>
    public int? GradientAccumulationSteps { get; init; }

    /// <summary>Peak learning rate.</summary>
    public double? LearningRate { get; init; }

    /// <summary>AdamW weight decay for weights (never biases or LayerNorm parameters).</summary>
    public double? WeightDecay { get; init; }

    /// <summary>Warm-up as a fraction of all updates (ignored when <see cref="WarmupSteps"/> is set).</summary>
    public double? WarmupRatio { get; init; }

    /// <summary>Warm-up length in updates.</summary>
    public int? WarmupSteps { get; init; }

    /// <summary>Decay after warm-up.</summary>
    public LearningRateDecay? Decay { get; init; }

    /// <summary>Global gradient-norm limit; 0 or less disables clipping.</summary>
    public double? MaxGradNorm { get; init; }

    /// <summary>AdamW β₁.</summary>
    public double AdamBeta1 { get; init; } = 0.9;

    /// <summary>AdamW β₂.</summary>
    public double AdamBeta2 { get; init; } = 0.999;

    /// <summary>AdamW ε.</summary>
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary>Longest row in tokens, special tokens included; longer inputs are truncated (QA contexts are windowed). The built-in default is 128, or the config's <c>max_position_embeddings</c> if smaller.</summary>
    public int? MaxSequenceLength { get; init; }

    /// <summary>QA: tokens shared by consecutive windows of a long context.</summary>
    public int DocStride { get; init; } = 32;

    /// <summary>QA: longest question in tokens (longer ones are cut).</summary>
    public int MaxQuestionLength { get; init; } = 64;

    /// <summary>QA: longest predicted answer in tokens when evaluating (as <c>albertgen answer --max-answer-len</c>, whose default this is).</summary>
    public int MaxAnswerLength { get; init; } = 15;

    /// <summary>Stop after this many evaluations without improvement of the primary metric; null = never.</summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>Seed of weight initialisation, shuffling and dropout.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Updates between progress reports (and loss-curve points).</summary>
    public int LoggingSteps { get; init; } = 10;

    /// <summary>Draws the loss curve beside <c>loss_curve.csv</c> (e.g. <c>PngLossCurvePlotter</c> of the <c>AlbertGen.Training.Plots</c> package, which writes <c>loss_curve.png</c>); null = the CSV only.</summary>
    public ILossCurvePlotter? LossCurvePlotter { get; init; }

    /// <summary>
    /// When set, training passes run the linear layers' matrix products in this dtype with float32 master weights
    /// (gradients and optimiser state stay float32 too: "mixed precision"); evaluation stays in float32.
    /// </summary>
    public TorchSharp.torch.ScalarType? TrainingMatMulDType { get; init; }

    /// <summary>
    /// The device to train on (<see cref="AlbertDevice.Parse"/> names one: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>,
    /// <c>auto</c>): the model, every batch, the optimizer's state and the evaluation live there. Null (default): the CPU.
    /// </summary>
    public TorchSharp.torch.Device? Device { get; init; }
}
