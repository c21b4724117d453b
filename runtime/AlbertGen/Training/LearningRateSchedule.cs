namespace AlbertGen.Training;

/// <summary>How the learning rate falls after warm-up.</summary>
public enum LearningRateDecay
{
    /// <summary>Linearly to zero at the last step (HuggingFace <c>get_linear_schedule_with_warmup</c>).</summary>
    Linear,

    /// <summary>Half a cosine wave to zero at the last step (HuggingFace <c>get_cosine_schedule_with_warmup</c>).</summary>
    Cosine,

    /// <summary>Stays at the peak after warm-up (HuggingFace <c>get_constant_schedule_with_warmup</c>).</summary>
    Constant,
}

/// <summary>
/// Linear warm-up from 0 to the peak over <see cref="WarmupSteps"/>, then <see cref="Decay"/> to 0 at
/// <see cref="TotalSteps"/>, with HuggingFace's step convention: <see cref="At"/>(s) is the rate of the update made
/// after <c>s</c> earlier updates, so the first update of a warm-up uses 0, exactly as <c>LambdaLR</c> does.
/// </summary>
internal sealed class LearningRateSchedule
{
    /// <summary>Creates a schedule.</summary>
    /// <param name="peak">Learning rate reached at the end of warm-up.</param>
    /// <param name="warmupSteps">Number of warm-up updates (0 = none).</param>
    /// <param name="totalSteps">Total number of updates of the run.</param>
    /// <param name="decay">The decay after warm-up.</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative value, or warm-up longer than the run.</exception>
    public LearningRateSchedule(double peak, long warmupSteps, long totalSteps, LearningRateDecay decay = LearningRateDecay.Linear)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(peak);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(warmupSteps, totalSteps);
        Peak = peak;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        Decay = decay;
    }

    /// <summary>The peak learning rate.</summary>
    public double Peak { get; }

    /// <summary>Warm-up length in updates.</summary>
    public long WarmupSteps { get; }

    /// <summary>Run length in updates.</summary>
    public long TotalSteps { get; }

    /// <summary>The decay after warm-up.</summary>
    public LearningRateDecay Decay { get; }

    /// <summary>The learning rate of the update made after <paramref name="step"/> earlier updates.</summary>
    /// <param name="step">Number of updates already made (0-based index of this update).</param>
    public double At(long step)
    {
        if (step < WarmupSteps)
        {
            return Peak * step / Math.Max(1, WarmupSteps);
        }

        if (Decay == LearningRateDecay.Constant)
        {
            return Peak;
        }

        double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        double factor = Decay == LearningRateDecay.Linear
            ? Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps))
            : Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * progress)));
        return Peak * factor;
    }
}
