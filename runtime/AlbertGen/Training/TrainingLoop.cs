using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// The update loop fine-tuning and pretraining share: forward and backward passes whose gradients add up over
/// <c>accumulation</c> batches (each loss divided by it), then global-norm clipping, the schedule's rate for the update,
/// the optimizer step and zeroed gradients; the mean loss (and its parts), the rate and the throughput go to the loss
/// curve and the progress receiver every <c>loggingSteps</c> updates. The callers own the data order, evaluation and
/// checkpoints.
/// </summary>
internal sealed class TrainingLoop
{
    private readonly TrainingOptimizer _optimizer;
    private readonly LearningRateSchedule _schedule;
    private readonly double _maxGradNorm;
    private readonly int _accumulation;
    private readonly int _loggingSteps;
    private readonly long _totalSteps;
    private readonly LossCurve _curve;
    private readonly IProgress<TrainingProgress>? _progress;
    private readonly ScalarType? _productDType;
    private readonly ThroughputMeter _meter = new();

    /// <param name="optimizer">The optimizer; its <see cref="TrainingOptimizer.StepCount"/> is the update count (restored on resume).</param>
    /// <param name="schedule">The learning-rate schedule over all updates of the run.</param>
    /// <param name="maxGradNorm">Global gradient-norm limit; 0 or less disables clipping.</param>
    /// <param name="accumulation">Forward passes per update.</param>
    /// <param name="loggingSteps">Updates between curve points and progress reports.</param>
    /// <param name="totalSteps">All updates of the run, for the reports.</param>
    /// <param name="curve">Receives a point per report.</param>
    /// <param name="progress">Receives the reports.</param>
    /// <param name="productDType">The dtype of the layers' matrix products in the forward passes (mixed precision,
    /// <see cref="Modeling.MixedPrecision"/>); null: the model's dtype.</param>
    /// <exception cref="ArgumentException"><paramref name="productDType"/> is not a floating-point dtype.</exception>
    public TrainingLoop(TrainingOptimizer optimizer, LearningRateSchedule schedule, double maxGradNorm, int accumulation, int loggingSteps, long totalSteps, LossCurve curve, IProgress<TrainingProgress>? progress, ScalarType? productDType)
    {
        _productDType = Modeling.MixedPrecision.CheckProductDType(productDType, "TrainingMatMulDType");
        _optimizer = optimizer;
        _schedule = schedule;
        _maxGradNorm = maxGradNorm;
        _accumulation = accumulation;
        _loggingSteps = loggingSteps;
        _totalSteps = totalSteps;
        _curve = curve;
        _progress = progress;
    }

    /// <summary>Updates made so far (the optimizer's count).</summary>
    public long Step => _optimizer.StepCount;

    /// <summary>
    /// One forward and backward pass. <paramref name="forward"/> returns the scalar loss, its named parts (empty when it
    /// has one part) and the batch's token count; its tensors are disposed here.
    /// </summary>
    /// <returns>The batch's loss (undivided).</returns>
    public double Accumulate(Func<(Tensor Loss, (string Name, Tensor Value)[] Terms, long Tokens)> forward)
    {
        using var scope = NewDisposeScope();
        (Tensor loss, (string Name, Tensor Value)[] terms, long tokens) = Forward(forward);
        (_accumulation == 1 ? loss : loss.div(_accumulation)).backward();
        double value = loss.ToDouble();
        _meter.Add(value, tokens, [.. terms.Select(t => (t.Name, t.Value.ToDouble()))]);
        return value;
    }

    private (Tensor Loss, (string Name, Tensor Value)[] Terms, long Tokens) Forward(Func<(Tensor, (string, Tensor)[], long)> forward)
    {
        using IDisposable products = Modeling.MixedPrecision.TrainingProducts(_productDType);
        return forward();
    }

    /// <summary>Applies the accumulated gradients as one update and reports every <c>loggingSteps</c> updates and at <paramref name="alsoReportAt"/>.</summary>
    /// <param name="epoch">The epoch, for the report.</param>
    /// <param name="alsoReportAt">An update that is reported whatever the logging interval (the last of the run or of a piece of it).</param>
    /// <returns>The learning rate of the update, and the mean loss reported (null when this update was not reported).</returns>
    public (double LearningRate, double? ReportedLoss) Update(int epoch, long alsoReportAt)
    {
        if (_maxGradNorm > 0)
        {
            GradientClipping.ClipGlobalNorm(_optimizer.Parameters, _maxGradNorm);
        }

        double lr = _schedule.At(_optimizer.StepCount);
        _optimizer.Step(lr);
        _optimizer.ZeroGrad();
        long step = _optimizer.StepCount;
        if (step % _loggingSteps != 0 && step != alsoReportAt)
        {
            return (lr, null);
        }

        (double meanLoss, double tokensPerSecond, IReadOnlyDictionary<string, double>? terms) = _meter.Take();
        _curve.Add(step, meanLoss, lr, terms);
        _progress?.Report(new TrainingProgress(TrainingPhase.Training, step, _totalSteps, epoch, meanLoss, lr, tokensPerSecond) { LossTerms = terms });
        return (lr, meanLoss);
    }
}
