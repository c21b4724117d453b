using System.Runtime.CompilerServices;

namespace AlbertGen.Tasks;

/// <summary>
/// One lock per model instance, shared by every pipeline built on it. TorchSharp does not document its modules as safe
/// for concurrent <c>forward</c> calls, so pipelines serialise the forward pass per model; tokenisation and
/// post-processing run in parallel. (libtorch already spreads one forward call over the machine's cores.)
/// </summary>
internal static class ModelGate
{
    private static readonly ConditionalWeakTable<object, Lock> Gates = new();

    public static Lock For(object model) => Gates.GetValue(model, static _ => new Lock());
}
