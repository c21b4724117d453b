using System.Runtime.InteropServices;

namespace AlbertGen.Inference;

/// <summary>Looks up native entry points before anything calls them, so a missing one is a known fact, not a crash.</summary>
internal static class NativeExports
{
    /// <summary>Whether <paramref name="library"/> loads (as the runtime resolves it for this assembly) and exports every symbol.</summary>
    public static bool Has(string library, params string[] symbols)
    {
        if (!NativeLibrary.TryLoad(library, typeof(NativeExports).Assembly, null, out IntPtr handle))
        {
            return false;
        }

        return symbols.All(symbol => NativeLibrary.TryGetExport(handle, symbol, out _));
    }
}
