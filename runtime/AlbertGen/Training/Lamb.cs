using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// LAMB (You et al., "Large Batch Optimization for Deep Learning", 2019), the optimizer ALBERT was pretrained with, as
/// in ALBERT's own <c>lamb_optimizer.py</c>:
/// <code>
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// u ← m / (√v + ε) + wd·p                       (no bias correction, as ALBERT's implementation)
/// r ← ‖p‖ / ‖u‖ if both norms are &gt; 0, else 1   (only for groups with layer adaptation)
/// p ← p − lr·r·u
/// </code>
/// Biases and LayerNorm parameters get neither weight decay nor the trust ratio (<see cref="ParameterGroups.Split"/>).
/// </summary>
internal sealed class Lamb : TrainingOptimizer
{
    /// <summary>Creates the optimizer with ALBERT's defaults.</summary>
    /// <param name="groups">Parameter groups (see <see cref="ParameterGroups.Split"/>).</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="epsilon">Added to the denominator (ALBERT uses 1e-6).</param>
    public Lamb(IReadOnlyList<ParameterGroup> groups, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-6)
        : base(groups, beta1, beta2, epsilon)
    {
    }

    /// <inheritdoc />
    protected override void Update(string name, Parameter parameter, Tensor grad, ParameterGroup group, double learningRate, long step)
    {
        (Tensor m, Tensor v) = UpdateMoments(name, parameter, grad);
        Tensor update = m.div(v.sqrt().add_(Epsilon));
        if (group.WeightDecay != 0)
        {
            update.add_(parameter, alpha: group.WeightDecay);
        }

        double ratio = 1.0;
        if (group.LayerAdaptation)
        {
            double weightNorm = parameter.norm().ToDouble();
            double updateNorm = update.norm().ToDouble();
            if (weightNorm > 0 && updateNorm > 0)
            {
                ratio = weightNorm / updateNorm;
            }
        }

        parameter.add_(update, alpha: -learningRate * ratio);
    }
}
