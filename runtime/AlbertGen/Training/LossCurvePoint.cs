namespace AlbertGen.Training;

/// <summary>One logged point of a <see cref="LossCurve"/>.</summary>
/// <param name="Step">Update number.</param>
/// <param name="Loss">Mean loss since the previous point.</param>
/// <param name="LearningRate">The learning rate of the last update.</param>
/// <param name="Terms">
/// The loss's parts by name, each a mean over the same updates (pretraining: <c>masked_lm</c> and <c>sentence_order</c>,
/// which add up to <paramref name="Loss"/>); empty when the loss has one part.
/// </param>
public sealed record LossCurvePoint(long Step, double Loss, double LearningRate, IReadOnlyDictionary<string, double> Terms);
