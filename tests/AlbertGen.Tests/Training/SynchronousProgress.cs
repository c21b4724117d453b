using AlbertGen.Training;

namespace AlbertGen.Tests.Training;

/// <summary>Reports on the calling thread (<see cref="Progress{T}"/> posts to the thread pool), so a test sees every report before the run returns.</summary>
internal sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
