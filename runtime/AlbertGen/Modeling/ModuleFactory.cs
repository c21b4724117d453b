using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Makes the model's <see cref="Linear"/> layers, without TorchSharp's random initialisation
/// while <see cref="AlbertPreTrainedModel{TOutput}.FromPretrained{TModel}"/> builds a model whose weights it is about to load.
/// </summary>
/// <remarks>
/// TorchSharp's module constructors fill every weight with random numbers, which loading then overwrites; skipping that is
/// what HuggingFace's <c>from_pretrained</c> does too. Weights left uninitialised are all either loaded or given
/// HuggingFace's initialisation afterwards (parameters the checkpoint lacks), so no uninitialised memory is ever read.
/// Embeddings keep TorchSharp's constructor: its other route, <c>Embedding_from_pretrained</c>, gives a module whose
/// <c>named_parameters()</c> is not the weight its forward uses, so loading into it would be lost.
/// </remarks>
internal static class ModuleFactory
{
    [ThreadStatic]
    private static bool t_skipInitialization;

    /// <summary>Whether models built now on this thread skip initialisation (their weights are about to be loaded).</summary>
    public static bool SkipsInitialization => t_skipInitialization;

    /// <summary>Runs <paramref name="create"/> with initialisation skipped for the models and modules it builds on this thread.</summary>
    public static T WithoutInitialization<T>(Func<T> create)
    {
        bool outer = t_skipInitialization;
        t_skipInitialization = true;
        try
        {
            return create();
        }
        finally
        {
            t_skipInitialization = outer;
        }
    }

    /// <summary>A linear layer <c>inputs → outputs</c> with a bias.</summary>
    public static Linear Linear(long inputs, long outputs) =>
        t_skipInitialization ? nn.Linear(new Parameter(empty(outputs, inputs)), new Parameter(empty(outputs))) : nn.Linear(inputs, outputs);
}
