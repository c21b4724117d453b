using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter), the update of <c>torch.optim.AdamW</c> used by HuggingFace's
/// <c>Trainer</c>: <c>p ← p − lr·wd·p</c>, then the bias-corrected Adam step
/// <c>p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)</c>.
/// </summary>
public sealed class AdamW : TrainingOptimizer
{
    /// <summary>Creates the optimizer.</summary>
    /// <param name="groups">Parameter groups (see <see cref="ParameterGroups.Split"/>).</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="epsilon">Added to the denominator.</param>
    public AdamW(IReadOnlyList<ParameterGroup> groups, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8) : base(groups)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>First-moment decay β₁.</summary>
    public double Beta1 { get; }

    /// <summary>Second-moment decay β₂.</summary>
    public double Beta2 { get; }

    /// <summary>Denominator term ε.</summary>
    public double Epsilon { get; }

    /// <inheritdoc />
    protected override void Update(string name, Parameter parameter, Tensor grad, ParameterGroup group, double learningRate, long step)
    {
        Tensor m = State("exp_avg", name, parameter);
        Tensor v = State("exp_avg_sq", name, parameter);
        if (group.WeightDecay != 0)
        {
            parameter.mul_(1 - (learningRate * group.WeightDecay));
        }

        m.mul_(Beta1).add_(grad, alpha: 1 - Beta1);
        v.mul_(Beta2).addcmul_(grad, grad, value: 1 - Beta2);
        double correction1 = 1 - Math.Pow(Beta1, step);
        double correction2 = 1 - Math.Pow(Beta2, step);
        Tensor denominator = v.sqrt().div_(Math.Sqrt(correction2)).add_(Epsilon);
        parameter.addcdiv_(m, denominator, value: -learningRate / correction1);
    }
}
