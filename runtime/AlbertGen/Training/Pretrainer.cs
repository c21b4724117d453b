using System.Diagnostics;
using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// Pretrains <c>AlbertForPreTraining</c> from raw text with ALBERT's recipe: sentence-order pairs, n-gram masking, LAMB (or
/// AdamW), linear warm-up and decay, gradient clipping. Every <see cref="PretrainOptions.SaveSteps"/> updates (and at the
/// end) it writes <c>checkpoint/</c> (model, optimizer state, trainer state); a new run in the same output directory
/// continues from there exactly as if it had not stopped. The final model is written in HuggingFace layout with
/// <c>spiece.model</c>, <c>loss_curve.csv</c> and <c>loss_curve.png</c>.
/// </summary>
public static class Pretrainer
{
    /// <summary>The sub-directory of the output holding the resumable checkpoint.</summary>
    public const string CheckpointFolder = "checkpoint";

    private const int EvaluationPass = -1;

    /// <summary>The name of the masked-LM part of the loss in progress reports and <c>loss_curve.csv</c>.</summary>
    public const string MaskedLmTerm = "masked_lm";

    /// <summary>The name of the sentence-order part of the loss in progress reports and <c>loss_curve.csv</c>.</summary>
    public const string SentenceOrderTerm = "sentence_order";

    /// <summary>Runs pretraining on a background thread.</summary>
    /// <param name="options">The run's settings.</param>
    /// <param name="progress">Receives a report every <see cref="PretrainOptions.LoggingSteps"/> updates and on each checkpoint.</param>
    /// <param name="cancellationToken">Stops between updates; a checkpoint is written first, so the run can be resumed.</param>
    /// <returns>The result.</returns>
    /// <exception cref="TrainingDataException">The corpus is empty or too small for one batch.</exception>
    /// <exception cref="ArgumentException">The options are inconsistent, or the checkpoint was made with another seed, optimizer or batch size.</exception>
    public static Task<PretrainResult> RunAsync(PretrainOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Task.Run(() => Run(options, progress, cancellationToken), CancellationToken.None);
    }

    /// <summary>Runs pretraining on the calling thread (see <see cref="RunAsync"/>).</summary>
    /// <param name="options">The run's settings.</param>
    /// <param name="progress">Progress receiver.</param>
    /// <param name="cancellationToken">Stops between updates after writing a checkpoint.</param>
    /// <returns>The result.</returns>
    public static PretrainResult Run(PretrainOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        var tokenizer = options.Tokenizer;
        PretrainingCorpus corpus = PretrainingCorpus.FromFile(options.CorpusFile, tokenizer, options.BlankLineSeparatesDocuments);
        var masking = new NgramMasking(
            options.Config.VocabSize,
            tokenizer.MaskTokenId,
            [tokenizer.PadTokenId, tokenizer.UnknownTokenId, tokenizer.ClsTokenId, tokenizer.SepTokenId, tokenizer.MaskTokenId],
            options.MaskedLmProbability,
            options.MaxPredictionsPerSequence,
            options.MaxNgram);
        var pairs = new SentenceOrderPairs(options.MaxSequenceLength, tokenizer.ClsTokenId, tokenizer.SepTokenId, masking, options.ShortSequenceProbability);
        List<PretrainingInstance>? evaluationInstances = options.EvaluationInstances > 0 ? EvaluationInstances(options, pairs, corpus) : null; // a bad file fails now, not after training

        torch.manual_seed(options.Seed);
        using var model = new AlbertForPreTraining(options.Config);
        if (options.Device is { } device)
        {
            model.to(device); // before the optimizer holds the parameters: moving may replace them
        }
        IReadOnlyList<ParameterGroup> groups = ParameterGroups.Split(model, options.WeightDecay);
        using TrainingOptimizer optimizer = options.Optimizer == PretrainOptimizer.Lamb ? new Lamb(groups) : new AdamW(groups);
        var curve = new LossCurve();
        string checkpoint = Path.Combine(options.OutputDirectory, CheckpointFolder);
        var state = new PretrainingState { Seed = options.Seed, Optimizer = options.Optimizer.ToString(), BatchSize = options.BatchSize };
        if (options.Resume && File.Exists(Path.Combine(checkpoint, "trainer_state.json")))
        {
            state = LoadCheckpoint(checkpoint, options, model, optimizer, curve);
        }

        model.train();
        long resumedFrom = state.Step;
        var schedule = new LearningRateSchedule(options.LearningRate, Math.Min(options.WarmupSteps, options.MaxSteps), options.MaxSteps, options.Decay);
        List<PretrainingInstance> instances = CreateEpoch(pairs, corpus, options, state.Epoch);
        long stopAt = Math.Min(options.StopAfterStep ?? options.MaxSteps, options.MaxSteps);
        long step = state.Step;
        int epoch = state.Epoch, position = state.Position;
        var loop = new TrainingLoop(optimizer, schedule, options.MaxGradNorm, accumulation: 1, options.LoggingSteps, options.MaxSteps, curve, progress, options.TrainingMatMulDType);
        var runClock = Stopwatch.StartNew();
        long runTokens = 0;
        double firstLoss = double.NaN, lastLoss = double.NaN;
        while (step < stopAt && !cancellationToken.IsCancellationRequested)
        {
            if (position + options.BatchSize > instances.Count)
            {
                epoch++;
                position = 0;
                instances = CreateEpoch(pairs, corpus, options, epoch);
            }

            List<PretrainingInstance> rows = instances.GetRange(position, options.BatchSize);
            position += options.BatchSize;
            torch.manual_seed(unchecked((options.Seed * 1_000_003L) + step)); // dropout of this update, independent of history
            loop.Accumulate(() =>
            {
                (AlbertInputs inputs, long tokens) = Collate(rows, tokenizer.PadTokenId, model.Device);
                (Tensor logits, Tensor labels, Tensor orderLogits) = model.PredictAtLabels(inputs);
                Tensor maskedLm = Losses.CrossEntropy(logits, labels);
                Tensor sentenceOrder = model.SentenceOrderLoss(orderLogits, inputs.SentenceOrderLabel!);
                runTokens += tokens;
                return (maskedLm.add(sentenceOrder), [(MaskedLmTerm, maskedLm), (SentenceOrderTerm, sentenceOrder)], tokens);
            });
            (double lr, double? reported) = loop.Update(epoch, alsoReportAt: stopAt);
            step = loop.Step;
            if (reported is { } meanLoss)
            {
                firstLoss = double.IsNaN(firstLoss) ? meanLoss : firstLoss;
                lastLoss = meanLoss;
            }

            if (step % options.SaveSteps == 0 && step < stopAt)
            {
                SaveCheckpoint(checkpoint, model, optimizer, curve, state with { Step = step, Epoch = epoch, Position = position });
                progress?.Report(new TrainingProgress(TrainingPhase.Checkpoint, step, options.MaxSteps, epoch, lastLoss, lr, 0));
            }
        }

        double runTokensPerSecond = runTokens / Math.Max(1e-9, runClock.Elapsed.TotalSeconds); // training only, not the evaluation
        EvaluationResult? evaluation = null;
        if (evaluationInstances is not null && !cancellationToken.IsCancellationRequested)
        {
            evaluation = PretrainingEvaluation.Evaluate(model, evaluationInstances, options.BatchSize, tokenizer.PadTokenId);
            curve.AddEvaluation(step, evaluation);
            progress?.Report(new TrainingProgress(TrainingPhase.Evaluation, step, options.MaxSteps, epoch, lastLoss, 0, 0, evaluation));
        }

        SaveCheckpoint(checkpoint, model, optimizer, curve, state with { Step = step, Epoch = epoch, Position = position });
        model.Save(options.OutputDirectory);
        tokenizer.SaveVocabulary(options.OutputDirectory);
        curve.Write(options.OutputDirectory, "ALBERT pretraining (MLM + SOP)", options.LossCurvePlotter);
        progress?.Report(new TrainingProgress(TrainingPhase.Checkpoint, step, options.MaxSteps, epoch, lastLoss, 0, 0));
        return new PretrainResult(options.OutputDirectory, step, resumedFrom, firstLoss, lastLoss, runTokensPerSecond, step >= options.MaxSteps, evaluation);
    }

    /// <summary>Pads instances into <c>[B, S]</c> inputs with labels (-100 on padding) and sentence-order labels; tensors belong to the current dispose scope.</summary>
    internal static (AlbertInputs Inputs, long Tokens) Collate(IReadOnlyList<PretrainingInstance> rows, int padId, Device? device = null)
    {
        int n = rows.Count;
        int length = rows.Max(r => r.InputIds.Length);
        var ids = new long[n * length];
        var types = new long[n * length];
        var mask = new long[n * length];
        var labels = new long[n * length];
        Array.Fill(ids, padId);
        Array.Fill(labels, -100L);
        long tokens = 0;
        for (int b = 0; b < n; b++)
        {
            PretrainingInstance r = rows[b];
            for (int t = 0; t < r.InputIds.Length; t++)
            {
                ids[(b * length) + t] = r.InputIds[t];
                types[(b * length) + t] = r.TokenTypeIds[t];
                mask[(b * length) + t] = 1;
                labels[(b * length) + t] = r.Labels[t];
            }

            tokens += r.InputIds.Length;
        }

        var inputs = new AlbertInputs
        {
            InputIds = tensor(ids, [n, length], device: device),
            TokenTypeIds = tensor(types, [n, length], device: device),
            AttentionMask = tensor(mask, [n, length], device: device),
            Labels = tensor(labels, [n, length], device: device),
            SentenceOrderLabel = tensor(rows.Select(r => (long)r.SentenceOrderLabel).ToArray(), device: device),
        };
        return (inputs, tokens);
    }

    /// <summary>
    /// The evaluation's instances: the first <see cref="PretrainOptions.EvaluationInstances"/> of pass −1 over the held-out
    /// corpus if there is one, else over the training corpus; pass −1 is a stream of pairs and masks that training
    /// (passes 0, 1, …) never draws.
    /// </summary>
    private static List<PretrainingInstance> EvaluationInstances(PretrainOptions options, SentenceOrderPairs pairs, PretrainingCorpus trainingCorpus)
    {
        PretrainingCorpus corpus = options.EvaluationCorpusFile is { } heldOut
            ? PretrainingCorpus.FromFile(heldOut, options.Tokenizer, options.BlankLineSeparatesDocuments)
            : trainingCorpus;
        List<PretrainingInstance> instances = pairs.CreateEpoch(corpus, options.Seed, EvaluationPass);
        if (instances.Count == 0)
        {
            throw new TrainingDataException(new SourceLocation(options.EvaluationCorpusFile ?? options.CorpusFile, 1), "the evaluation corpus gives no sequences.");
        }

        return instances.Take(options.EvaluationInstances).ToList();
    }

    private static List<PretrainingInstance> CreateEpoch(SentenceOrderPairs pairs, PretrainingCorpus corpus, PretrainOptions options, int epoch)
    {
        List<PretrainingInstance> instances = pairs.CreateEpoch(corpus, options.Seed, epoch);
        if (instances.Count < options.BatchSize)
        {
            throw new TrainingDataException(new SourceLocation(options.CorpusFile, 1),
                $"the corpus gives {instances.Count} sequences per pass, fewer than one batch of {options.BatchSize}.");
        }

        return instances;
    }

    private static PretrainingState LoadCheckpoint(string checkpoint, PretrainOptions options, AlbertForPreTraining model, TrainingOptimizer optimizer, LossCurve curve)
    {
        PretrainingState state = PretrainingState.Read(Path.Combine(checkpoint, "trainer_state.json"));
        if (state.Seed != options.Seed || state.Optimizer != options.Optimizer.ToString() || state.BatchSize != options.BatchSize)
        {
            throw new ArgumentException(
                $"The checkpoint in '{checkpoint}' was made with seed {state.Seed}, optimizer {state.Optimizer}, batch size {state.BatchSize}; " +
                $"this run has seed {options.Seed}, optimizer {options.Optimizer}, batch size {options.BatchSize}. Use the same settings or another output directory.",
                nameof(options));
        }

        model.LoadWeights(checkpoint);
        optimizer.LoadState(Path.Combine(checkpoint, "optimizer.safetensors"));
        if (optimizer.StepCount != state.Step)
        {
            throw new InvalidDataException($"The checkpoint in '{checkpoint}' is inconsistent: trainer_state.json is at step {state.Step}, optimizer.safetensors at {optimizer.StepCount}.");
        }
        string curveFile = Path.Combine(checkpoint, "loss_curve.csv");
        if (File.Exists(curveFile))
        {
            curve.LoadCsv(curveFile);
        }

        return state;
    }

    private static void SaveCheckpoint(string checkpoint, AlbertForPreTraining model, TrainingOptimizer optimizer, LossCurve curve, PretrainingState state)
    {
        Directory.CreateDirectory(checkpoint);
        model.Save(checkpoint);
        optimizer.SaveState(Path.Combine(checkpoint, "optimizer.safetensors"));
        curve.Write(checkpoint, "ALBERT pretraining (MLM + SOP)");
        state.Write(Path.Combine(checkpoint, "trainer_state.json")); // last: its presence marks a complete checkpoint
    }

    private static void Validate(PretrainOptions options)
    {
        if (options.Config.VocabSize < options.Tokenizer.VocabularySize)
        {
            throw new ArgumentException($"The config's vocab_size {options.Config.VocabSize} is smaller than the tokenizer's {options.Tokenizer.VocabularySize} pieces.", nameof(options));
        }

        if (options.MaxSequenceLength > options.Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException($"MaxSequenceLength {options.MaxSequenceLength} exceeds the config's max_position_embeddings {options.Config.MaxPositionEmbeddings}.", nameof(options));
        }

        if (options.BatchSize < 1 || options.MaxSteps < 1 || options.LoggingSteps < 1 || options.SaveSteps < 1)
        {
            throw new ArgumentException("BatchSize, MaxSteps, LoggingSteps and SaveSteps must be at least 1.", nameof(options));
        }

        if (options.EvaluationInstances < 0)
        {
            throw new ArgumentException($"EvaluationInstances must be 0 (no evaluation) or more, not {options.EvaluationInstances}.", nameof(options));
        }
    }
}
