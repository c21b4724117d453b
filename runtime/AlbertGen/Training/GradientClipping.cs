using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>Global-norm gradient clipping, as <c>torch.nn.utils.clip_grad_norm_</c>.</summary>
internal static class GradientClipping
{
    /// <summary>
    /// Computes the L2 norm of all gradients taken together and, when it exceeds <paramref name="maxNorm"/>, scales every
    /// gradient by <c>maxNorm / (norm + 1e-6)</c>.
    /// </summary>
    /// <param name="parameters">The parameters whose gradients are clipped (those without a gradient are skipped).</param>
    /// <param name="maxNorm">The largest allowed global norm.</param>
    /// <returns>The global norm before clipping.</returns>
    public static double ClipGlobalNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0)
        {
            return 0;
        }

        double total = stack(grads.Select(g => g.norm()).ToArray()).norm().ToDouble();
        double coefficient = maxNorm / (total + 1e-6);
        if (coefficient < 1)
        {
            foreach (Tensor g in grads)
            {
                g.mul_(coefficient);
            }
        }

        return total;
    }
}
