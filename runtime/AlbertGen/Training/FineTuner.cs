using System.Diagnostics;
using AlbertGen.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// Fine-tunes an ALBERT head on labelled examples: dynamic-padding batches, AdamW with weight-decay exclusions, linear
/// warm-up then decay, global-norm clipping, gradient accumulation, an evaluation after every epoch, optional early
/// stopping, and a HuggingFace-layout checkpoint (<c>config.json</c> with <c>architectures</c> and labels,
/// <c>model.safetensors</c>, <c>spiece.model</c>) plus <c>loss_curve.csv</c>/<c>.png</c>. Runs are deterministic on CPU for a seed.
/// </summary>
public static class FineTuner
{
    /// <summary>Runs fine-tuning on a background thread.</summary>
    /// <param name="options">The run's settings.</param>
    /// <param name="progress">Receives reports every <see cref="FineTuneOptions.LoggingSteps"/> updates and after each evaluation.</param>
    /// <param name="cancellationToken">Stops the run between batches (nothing is saved for an unfinished epoch).</param>
    /// <returns>The result; the checkpoint is in <see cref="FineTuneOptions.OutputDirectory"/>.</returns>
    /// <exception cref="TrainingDataException">The training or evaluation data is unusable (file and line named).</exception>
    /// <exception cref="ArgumentException">The options are inconsistent (no data, no model, …).</exception>
    public static Task<FineTuneResult> RunAsync(FineTuneOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Task.Run(() => Run(options, progress, cancellationToken), cancellationToken);
    }

    /// <summary>Runs fine-tuning on the calling thread (see <see cref="RunAsync"/>).</summary>
    /// <param name="options">The run's settings.</param>
    /// <param name="progress">Progress receiver.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The result.</returns>
    public static FineTuneResult Run(FineTuneOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        AlbertConfig baseConfig = options.ModelDirectory is { } dir ? AlbertConfigReader.ReadFile(dir) : options.Config!;
        FineTuneSettings settings = FineTuneSettings.Resolve(options, baseConfig.MaxPositionEmbeddings);
        Validate(settings);

        // Loaded as the pipelines load it (PipelineResources), so training and inference tokenise alike.
        AlbertTokenizer tokenizer = options.Tokenizer
            ?? AlbertTokenizer.FromDirectory(options.ModelDirectory!, TokenizerKind.Auto, baseConfig.MaxPositionEmbeddings);

        IReadOnlyList<TrainingExample> train = options.TrainFile is { } trainFile
            ? TrainingDataReader.ReadFile(trainFile, options.Task)
            : options.TrainExamples!;
        IReadOnlyList<TrainingExample>? eval = options.EvalFile is { } evalFile
            ? TrainingDataReader.ReadFile(evalFile, options.Task)
            : options.EvalExamples;

        torch.manual_seed(options.Seed);
        using TaskAdapter adapter = CreateAdapter(tokenizer, options, settings);
        adapter.PrepareLabels(train);
        List<EncodedExample> trainRows = adapter.Encode(train);
        List<EncodedExample>? evalRows = eval is null ? null : adapter.Encode(eval);
        adapter.CreateModel(baseConfig, options.ModelDirectory);
        nn.Module model = adapter.Module;
        if (options.Device is { } device)
        {
            model.to(device); // before the optimizer holds the parameters: moving may replace them
        }
        model.train();

        int batchesPerEpoch = (trainRows.Count + settings.BatchSize - 1) / settings.BatchSize;
        int updatesPerEpoch = (batchesPerEpoch + settings.GradientAccumulationSteps - 1) / settings.GradientAccumulationSteps;
        long totalSteps = (long)updatesPerEpoch * settings.Epochs;
        long warmup = settings.WarmupSteps ?? (long)Math.Ceiling(totalSteps * settings.WarmupRatio);
        var schedule = new LearningRateSchedule(settings.LearningRate, Math.Min(warmup, totalSteps), totalSteps, settings.Decay);
        using var optimizer = new AdamW(ParameterGroups.Split(model, settings.WeightDecay), options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon);

        var curve = new LossCurve();
        var evaluations = new List<EvaluationResult>();
        EvaluationResult? best = null;
        int sinceImprovement = 0;
        bool stoppedEarly = false;
        double epochLoss = 0;
        int epoch = 0;
        var loop = new TrainingLoop(optimizer, schedule, settings.MaxGradNorm, settings.GradientAccumulationSteps, options.LoggingSteps, totalSteps, curve, progress, options.TrainingMatMulDType);
        for (; epoch < settings.Epochs && !stoppedEarly; epoch++)
        {
            var order = Enumerable.Range(0, trainRows.Count).ToList();
            new TrainingRandom(options.Seed, epoch).Shuffle(order);
            double epochSum = 0;
            int epochBatches = 0;
            for (int b = 0; b < batchesPerEpoch; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var rows = order.Skip(b * settings.BatchSize).Take(settings.BatchSize).Select(i => trainRows[i]).ToList();
                epochSum += loop.Accumulate(() =>
                {
                    TrainingBatch batch = TrainingBatch.Collate(rows, options.Task, tokenizer.PadTokenId, device: adapter.Device);
                    return (adapter.Loss(batch), [], batch.TokenCount);
                });
                epochBatches++;
                if ((b + 1) % settings.GradientAccumulationSteps == 0 || b == batchesPerEpoch - 1)
                {
                    loop.Update(epoch, alsoReportAt: totalSteps);
                }
            }

            epochLoss = epochSum / Math.Max(1, epochBatches);
            if (eval is null || evalRows is null)
            {
                continue;
            }

            EvaluationResult result = Evaluate(adapter, eval, evalRows, options, tokenizer.PadTokenId);
            evaluations.Add(result);
            curve.AddEvaluation(optimizer.StepCount, result);
            progress?.Report(new TrainingProgress(TrainingPhase.Evaluation, optimizer.StepCount, totalSteps, epoch, epochLoss, schedule.At(Math.Max(0, optimizer.StepCount - 1)), 0, result));
            if (best is null || result.Primary > best.Primary)
            {
                best = result;
                sinceImprovement = 0;
                SaveCheckpoint(adapter, tokenizer, options.OutputDirectory);
                progress?.Report(new TrainingProgress(TrainingPhase.Checkpoint, optimizer.StepCount, totalSteps, epoch, epochLoss, 0, 0, result));
            }
            else if (options.EarlyStoppingPatience is { } patience && ++sinceImprovement >= patience)
            {
                stoppedEarly = true;
            }
        }

        if (eval is null)
        {
            SaveCheckpoint(adapter, tokenizer, options.OutputDirectory);
            progress?.Report(new TrainingProgress(TrainingPhase.Checkpoint, optimizer.StepCount, totalSteps, epoch - 1, epochLoss, 0, 0));
        }

        curve.Write(options.OutputDirectory, $"Fine-tuning ({options.Task})", options.LossCurvePlotter);
        return new FineTuneResult(options.OutputDirectory, optimizer.StepCount, epoch, epochLoss, evaluations, best, stoppedEarly, adapter.LabelNames) { Settings = settings };
    }

    private static EvaluationResult Evaluate(TaskAdapter adapter, IReadOnlyList<TrainingExample> eval, List<EncodedExample> rows, FineTuneOptions options, int padId)
    {
        adapter.Module.eval();
        try
        {
            using var noGrad = no_grad();
            return adapter.Evaluate(eval, rows, options.EvalBatchSize, padId);
        }
        finally
        {
            adapter.Module.train();
        }
    }

    private static void SaveCheckpoint(TaskAdapter adapter, AlbertTokenizer tokenizer, string directory)
    {
        adapter.Save(directory);
        tokenizer.SaveVocabulary(directory);
    }

    /// <summary>The head <paramref name="task"/> trains.</summary>
    internal static AlbertHeads HeadOf(FineTuneTask task) => task switch
    {
        FineTuneTask.SequenceClassification or FineTuneTask.MultiLabelClassification or FineTuneTask.Regression => AlbertHeads.SequenceClassification,
        FineTuneTask.TokenClassification => AlbertHeads.TokenClassification,
        FineTuneTask.QuestionAnswering => AlbertHeads.QuestionAnswering,
        FineTuneTask.MultipleChoice => AlbertHeads.MultipleChoice,
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "Unknown task."),
    };

    private static TaskAdapter CreateAdapter(AlbertTokenizer tokenizer, FineTuneOptions options, FineTuneSettings settings) => options.Task switch
    {
        FineTuneTask.SequenceClassification or FineTuneTask.MultiLabelClassification or FineTuneTask.Regression => new SequenceTaskAdapter(tokenizer, options, settings),
        FineTuneTask.TokenClassification => new TokenTaskAdapter(tokenizer, options, settings),
        FineTuneTask.QuestionAnswering => new QuestionAnsweringTaskAdapter(tokenizer, options, settings),
        FineTuneTask.MultipleChoice => new MultipleChoiceTaskAdapter(tokenizer, options, settings),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Task, "Unknown task."),
    };

    private static void Validate(FineTuneOptions options)
    {
        if (options.TrainFile is null && (options.TrainExamples is null || options.TrainExamples.Count == 0))
        {
            throw new ArgumentException("No training data: set TrainFile or TrainExamples.", nameof(options));
        }

        if (options.ModelDirectory is null && options.Config is null)
        {
            throw new ArgumentException("No model: set ModelDirectory (a pretrained checkpoint) or Config (train from scratch).", nameof(options));
        }

        if (options.ModelDirectory is null && options.Tokenizer is null)
        {
            throw new ArgumentException("No tokenizer: set Tokenizer, or ModelDirectory holding tokenizer.json or spiece.model.", nameof(options));
        }

        if (options.EvalBatchSize < 1 || options.LoggingSteps < 1)
        {
            throw new ArgumentException("EvalBatchSize and LoggingSteps must be at least 1.", nameof(options));
        }
    }

    private static void Validate(FineTuneSettings settings)
    {
        if (settings.Epochs < 1 || settings.BatchSize < 1 || settings.GradientAccumulationSteps < 1)
        {
            throw new ArgumentException($"Epochs ({settings.Epochs}), BatchSize ({settings.BatchSize}) and GradientAccumulationSteps ({settings.GradientAccumulationSteps}) must be at least 1.", "options");
        }

        if (settings.MaxSequenceLength < 8)
        {
            throw new ArgumentException($"MaxSequenceLength {settings.MaxSequenceLength} is too short; use at least 8.", "options");
        }
    }
}
