using TorchSharp;
using TorchSharp.Modules;

namespace AlbertGen.Training;

/// <summary>
/// Parameters updated with the same settings. <see cref="WeightDecay"/> applies decoupled weight decay;
/// <see cref="LayerAdaptation"/> lets LAMB scale the update by the trust ratio (ignored by AdamW).
/// </summary>
/// <param name="Name">Group name (<c>decay</c> / <c>no_decay</c>), used in checkpoints and messages.</param>
/// <param name="Parameters">The parameters with their HuggingFace names.</param>
/// <param name="WeightDecay">Decoupled weight-decay rate.</param>
/// <param name="LayerAdaptation">Whether LAMB applies its layer-wise trust ratio.</param>
internal sealed record ParameterGroup(
    string Name,
    IReadOnlyList<(string Name, Parameter Parameter)> Parameters,
    double WeightDecay,
    bool LayerAdaptation);

/// <summary>Splits a model's parameters into decayed and non-decayed groups as HuggingFace's <c>Trainer</c> does.</summary>
internal static class ParameterGroups
{
    /// <summary>
    /// Two groups: <c>decay</c> (every weight matrix and embedding, with <paramref name="weightDecay"/>) and
    /// <c>no_decay</c> (every bias and every parameter of a LayerNorm module, with 0). The same exclusions switch off LAMB's
    /// layer adaptation, as ALBERT's <c>lamb_optimizer.py</c> does (<c>exclude_from_layer_adaptation</c> defaults to the
    /// weight-decay exclusions). Parameters that do not require gradients are left out.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="weightDecay">Decay rate of the first group.</param>
    /// <returns>The groups, <c>decay</c> first.</returns>
    public static IReadOnlyList<ParameterGroup> Split(torch.nn.Module model, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layerNormPrefixes = new List<string>();
        foreach ((string name, torch.nn.Module module) in model.named_modules())
        {
            if (module is LayerNorm)
            {
                layerNormPrefixes.Add(name + ".");
            }
        }

        var decay = new List<(string, Parameter)>();
        var noDecay = new List<(string, Parameter)>();
        foreach ((string name, Parameter p) in model.named_parameters())
        {
            if (!p.requires_grad)
            {
                continue;
            }

            bool excluded = name == "bias" || name.EndsWith(".bias", StringComparison.Ordinal)
                || layerNormPrefixes.Exists(prefix => name.StartsWith(prefix, StringComparison.Ordinal));
            (excluded ? noDecay : decay).Add((name, p));
        }

        return [new ParameterGroup("decay", decay, weightDecay, true), new ParameterGroup("no_decay", noDecay, 0.0, false)];
    }
}
