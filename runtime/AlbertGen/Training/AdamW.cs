using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter), the update of <c>torch.optim.AdamW</c> used by HuggingFace's
/// <c>Trainer</c>: <c>p ← p − lr·wd·p</c>, then the bias-corrected Adam step
/// <c>p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)</c>.
/// </summary>
internal sealed class AdamW : TrainingOptimizer
{
    /// <summary>Creates the optimizer.</summary>
    /// <param name="groups">Parameter groups (see <see cref="ParameterGroups.Split"/>).</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="epsilon">Added to the denominator.</param>
    public AdamW(IReadOnlyList<ParameterGroup> groups, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
        : base(groups, beta1, beta2, epsilon)
    {
    }

    /// <inheritdoc />
    protected override void Update(string name, Parameter parameter, Tensor grad, ParameterGroup group, double learningRate, long step)
    {
        (Tensor m, Tensor v) = UpdateMoments(name, parameter, grad);
        if (group.WeightDecay != 0)
        {
            parameter.mul_(1 - (learningRate * group.WeightDecay));
        }

        double correction1 = 1 - Math.Pow(Beta1, step);
        double correction2 = 1 - Math.Pow(Beta2, step);
        Tensor denominator = v.sqrt().div_(Math.Sqrt(correction2)).add_(Epsilon);
        parameter.addcdiv_(m, denominator, value: -learningRate / correction1);
    }
}
