using AlbertGen.Training;

namespace AlbertGen.Tests.Training;

public class LearningRateScheduleTests
{
    [Fact]
    public void Warmup_starts_at_zero_and_rises_linearly_to_the_peak()
    {
        var s = new LearningRateSchedule(1e-3, warmupSteps: 10, totalSteps: 110);
        Assert.Equal(0, s.At(0));
        Assert.Equal(5e-4, s.At(5), 12);
        Assert.Equal(1e-3, s.At(10), 12);
    }

    [Fact]
    public void Linear_decay_halves_midway_and_reaches_zero_at_the_end()
    {
        var s = new LearningRateSchedule(1e-3, 10, 110, LearningRateDecay.Linear);
        Assert.Equal(5e-4, s.At(60), 12);
        Assert.Equal(1e-5, s.At(109), 12);
        Assert.Equal(0, s.At(110));
        Assert.Equal(0, s.At(200));
    }

    [Fact]
    public void Cosine_decay_follows_half_a_cosine()
    {
        var s = new LearningRateSchedule(1e-3, 10, 110, LearningRateDecay.Cosine);
        Assert.Equal(1e-3, s.At(10), 12);
        Assert.Equal(5e-4, s.At(60), 12);
        Assert.Equal(1e-3 * 0.5 * (1 + Math.Cos(Math.PI * 0.25)), s.At(35), 12);
        Assert.Equal(0, s.At(110), 12);
    }

    [Fact]
    public void Without_warmup_the_first_update_uses_the_peak()
    {
        var s = new LearningRateSchedule(2e-5, 0, 100);
        Assert.Equal(2e-5, s.At(0), 15);
        Assert.Equal(1e-5, s.At(50), 15);
    }
}
