using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Dispose-scope bookkeeping. A tensor must be moved to the outer scope exactly once per level it climbs: moving it
/// twice would carry it past the caller's scope and leak it.
/// </summary>
internal static class ScopeHelpers
{
    /// <summary>Moves <c>list[from..]</c> to the outer dispose scope.</summary>
    public static void MoveToOuter(List<Tensor>? list, int from)
    {
        if (list is null)
        {
            return;
        }

        for (int i = from; i < list.Count; i++)
        {
            list[i].MoveToOuterDisposeScope();
        }
    }
}
