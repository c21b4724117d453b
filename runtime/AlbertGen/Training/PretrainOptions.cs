using AlbertGen.Tokenization;

namespace AlbertGen.Training;

/// <summary>Which optimizer pretraining uses.</summary>
public enum PretrainOptimizer
{
    /// <summary>LAMB, ALBERT's optimizer (see <see cref="Training.Lamb"/>).</summary>
    Lamb,

    /// <summary>AdamW (see <see cref="Training.AdamW"/>).</summary>
    AdamW,
}

/// <summary>Settings of a pretraining run (<see cref="Pretrainer.RunAsync"/>). Data defaults follow ALBERT's recipe.</summary>
public sealed record PretrainOptions
{
    /// <summary>Raw text: one sentence or line per line, blank lines between documents (see <see cref="PretrainingCorpus"/>).</summary>
    public required string CorpusFile { get; init; }

    /// <summary>Whether a blank line ends a document (false = the whole file is one document).</summary>
    public bool BlankLineSeparatesDocuments { get; init; } = true;

    /// <summary>The model's config (its vocabulary size must match the tokenizer).</summary>
    public required AlbertConfig Config { get; init; }

    /// <summary>The tokenizer (its <c>spiece.model</c> is copied into the output).</summary>
    public required AlbertTokenizer Tokenizer { get; init; }

    /// <summary>Output directory: the final model (HuggingFace layout), loss curve, and <c>checkpoint/</c> for resuming.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The default of <see cref="MaxSequenceLength"/>.</summary>
    public const int DefaultMaxSequenceLength = 128;

    /// <summary>Sequence length including <c>[CLS]</c> and two <c>[SEP]</c>.</summary>
    public int MaxSequenceLength { get; init; } = DefaultMaxSequenceLength;

    /// <summary>Probability of a shorter target length per document (ALBERT: 0.1).</summary>
    public double ShortSequenceProbability { get; init; } = 0.1;

    /// <summary>Fraction of tokens masked (ALBERT: 0.15).</summary>
    public double MaskedLmProbability { get; init; } = 0.15;

    /// <summary>Most masked tokens per sequence (ALBERT: 20 for 128 tokens).</summary>
    public int MaxPredictionsPerSequence { get; init; } = 20;

    /// <summary>Longest masked span (ALBERT: 3).</summary>
    public int MaxNgram { get; init; } = 3;

    /// <summary>Sequences per update.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Updates of the whole run (the schedule's length).</summary>
    public int MaxSteps { get; init; } = 2000;

    /// <summary>Stop (after saving a checkpoint) once this many updates are done, without changing the schedule; null = <see cref="MaxSteps"/>.
    /// Lets a long run be done in pieces; each piece resumes from the last checkpoint.</summary>
    public int? StopAfterStep { get; init; }

    /// <summary>The optimizer.</summary>
    public PretrainOptimizer Optimizer { get; init; } = PretrainOptimizer.Lamb;

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Warm-up updates.</summary>
    public int WarmupSteps { get; init; } = 100;

    /// <summary>Decay after warm-up (ALBERT: linear, polynomial power 1).</summary>
    public LearningRateDecay Decay { get; init; } = LearningRateDecay.Linear;

    /// <summary>Weight decay of weight matrices (ALBERT: 0.01).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Global gradient-norm limit (ALBERT: 1.0); 0 or less disables clipping.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Seed of initialisation, data, masking and dropout.</summary>
    public int Seed { get; init; } = 12345;

    /// <summary>Updates between progress reports.</summary>
    public int LoggingSteps { get; init; } = 10;

    /// <summary>Updates between checkpoints in <c>checkpoint/</c>.</summary>
    public int SaveSteps { get; init; } = 200;

    /// <summary>Continue from <c>checkpoint/</c> in the output directory when there is one.</summary>
    public bool Resume { get; init; } = true;

    /// <summary>
    /// When set, training passes run the linear layers' matrix products in this dtype with float32 master weights
    /// (gradients and optimiser state stay float32 too: "mixed precision"; ALBERT was pretrained in bfloat16).
    /// </summary>
    public TorchSharp.torch.ScalarType? TrainingMatMulDType { get; init; }

    /// <summary>
    /// Sequences the model is evaluated on when the run ends (<see cref="PretrainingEvaluation"/>: masked-LM and
    /// sentence-order accuracy and loss); 0 turns the evaluation off. They are a pass over
    /// <see cref="EvaluationCorpusFile"/>, or over the training corpus with pairs and masks drawn from a stream training never
    /// uses (new masks of seen text, not held-out text).
    /// </summary>
    public int EvaluationInstances { get; init; } = 512;

    /// <summary>Held-out text to evaluate on (same format as <see cref="CorpusFile"/>); null evaluates on the training corpus.</summary>
    public string? EvaluationCorpusFile { get; init; }

    /// <summary>Draws the loss curve beside <c>loss_curve.csv</c> (e.g. <c>PngLossCurvePlotter</c> of the <c>AlbertGen.Training.Plots</c> package, which writes <c>loss_curve.png</c>); null = the CSV only.</summary>
    public ILossCurvePlotter? LossCurvePlotter { get; init; }

    /// <summary>
    /// The device to train on (<see cref="AlbertDevice.Parse"/> names one: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>,
    /// <c>auto</c>): the model, every batch, the optimizer's state and the evaluation live there. Null (default): the CPU.
    /// </summary>
    public TorchSharp.torch.Device? Device { get; init; }
}
