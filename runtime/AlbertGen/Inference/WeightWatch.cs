using AlbertGen.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Inference;

/// <summary>
/// What a session was compiled from: the model's weight generation and each compiled product's parameters, with their
/// libtorch version counters where they can be read. A session runs only while all of it is unchanged.
/// </summary>
internal sealed class WeightWatch
{
    private readonly Func<long> _generation;
    private readonly long _compiledGeneration;
    private readonly Source[] _sources;

    private WeightWatch(Func<long> generation, Source[] sources)
    {
        _generation = generation;
        _compiledGeneration = generation();
        _sources = sources;
    }

    /// <summary>Whether every source has a version counter (so changes made in place can be seen).</summary>
    public bool TracksInPlaceChanges { get; private init; }

    /// <summary>Records the generation and the parameters of <paramref name="modules"/> now.</summary>
    public static WeightWatch Start(Func<long> generation, IEnumerable<AlbertLinear> modules)
    {
        var sources = new List<Source>();
        foreach (AlbertLinear module in modules)
        {
            sources.Add(new Source(module, module.weight!, module.bias, TensorVersions.Of(module.weight!), module.bias is { } b ? TensorVersions.Of(b) : null));
        }

        bool tracked = sources.All(s => s.WeightVersion is not null && (s.Bias is null || s.BiasVersion is not null));
        return new WeightWatch(generation, [.. sources]) { TracksInPlaceChanges = tracked };
    }

    /// <summary>Null while nothing changed; otherwise what changed, for an error message.</summary>
    public string? Change()
    {
        if (_generation() != _compiledGeneration)
        {
            return "the model was reloaded, converted, or switched between train() and eval()";
        }

        foreach (Source s in _sources)
        {
            if (!ReferenceEquals(s.Module.weight, s.Weight) || !ReferenceEquals(s.Module.bias, s.Bias))
            {
                return "a parameter was replaced";
            }

            if (TracksInPlaceChanges && (TensorVersions.Of(s.Weight) != s.WeightVersion || (s.Bias is { } b && TensorVersions.Of(b) != s.BiasVersion)))
            {
                return "a parameter was changed in place (an optimizer step, a copy_ or another in-place operation)";
            }
        }

        return null;
    }

    private sealed record Source(AlbertLinear Module, Parameter Weight, Parameter? Bias, long? WeightVersion, long? BiasVersion);
}
