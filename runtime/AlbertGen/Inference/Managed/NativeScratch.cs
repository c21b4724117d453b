using System.Runtime.InteropServices;

namespace AlbertGen.Inference.Managed;

/// <summary>A native float buffer owned by one thread, grown as needed and kept for the thread's next call; freed when the thread ends.</summary>
internal sealed unsafe class NativeScratch
{
    private float* _buffer;
    private long _floats;

    ~NativeScratch()
    {
        NativeMemory.AlignedFree(_buffer);
    }

    /// <summary>The thread's buffer in <paramref name="slot"/>, of at least <paramref name="floats"/> floats (64-byte aligned).</summary>
    public static float* For(ref NativeScratch? slot, long floats)
    {
        NativeScratch scratch = slot ??= new NativeScratch();
        if (floats > scratch._floats)
        {
            NativeMemory.AlignedFree(scratch._buffer);
            scratch._buffer = null;
            scratch._floats = 0;
            scratch._buffer = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
            scratch._floats = floats;
        }

        return scratch._buffer;
    }
}
