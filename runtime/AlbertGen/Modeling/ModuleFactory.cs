using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Makes the model's <see cref="Linear"/> layers, with or without TorchSharp's random initialisation: a model whose weights
/// are about to be loaded (<see cref="AlbertPreTrainedModel{TOutput}.FromPretrained{TModel}"/>) is built without it, as
/// HuggingFace's <c>from_pretrained</c> does. The choice is the constructors' <c>random</c> argument, passed down explicitly.
/// </summary>
/// <remarks>
/// Weights left uninitialised are all either loaded or given HuggingFace's initialisation afterwards (parameters the
/// checkpoint lacks), so no uninitialised memory is ever read. Embeddings keep TorchSharp's constructor: its other route,
/// <c>Embedding_from_pretrained</c>, gives a module whose <c>named_parameters()</c> is not the weight its forward uses, so
/// loading into it would be lost.
/// </remarks>
internal static class ModuleFactory
{
    /// <summary>A linear layer <c>inputs → outputs</c> with a bias; uninitialised (to be loaded) when <paramref name="random"/> is false.</summary>
    public static Linear Linear(long inputs, long outputs, bool random) =>
        random ? nn.Linear(inputs, outputs) : nn.Linear(new Parameter(empty(outputs, inputs)), new Parameter(empty(outputs)));
}
