using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlbertGen.Inference.Managed;

/// <summary>How a managed float32 product stores its weights (the arithmetic is float32 either way).</summary>
internal enum ManagedWeightStorage
{
    /// <summary>float32: the products equal libtorch's to float32 rounding.</summary>
    Float32,

    /// <summary>
    /// bfloat16 (the upper half of each float32, rounded to nearest even): half the bytes to read, for products bound by
    /// weight bandwidth, at bfloat16's 8-bit mantissa (a relative error of at most 2⁻⁹ per weight).
    /// </summary>
    BFloat16,
}

/// <summary>
/// A weight <c>[N, K]</c> laid out once for the microkernels: column panels of <see cref="Width"/> outputs, each panel
/// k-major (for every input k, the panel's <see cref="Width"/> weights side by side), so a microkernel reads one panel
/// strictly sequentially; the last panel is padded with zero weights. Native, 64-byte aligned memory.
/// </summary>
internal sealed unsafe class GemmPanels : IDisposable
{
    private byte* _data;

    public GemmPanels(ReadOnlySpan<float> weight, int outputs, int inputs, int width, ManagedWeightStorage storage)
    {
        Width = width;
        Inputs = inputs;
        Storage = storage;
        Count = (outputs + width - 1) / width;
        ElementBytes = storage == ManagedWeightStorage.BFloat16 ? sizeof(ushort) : sizeof(float);
        PanelBytes = (long)inputs * width * ElementBytes;
        Bytes = PanelBytes * Count;
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)Bytes, 64);
        NativeMemory.Clear(_data, (nuint)Bytes);
        for (int n = 0; n < outputs; n++)
        {
            ReadOnlySpan<float> row = weight.Slice(n * inputs, inputs);
            byte* panel = _data + n / width * PanelBytes;
            int lane = n % width;
            for (int k = 0; k < inputs; k++)
            {
                long index = (long)k * width + lane;
                if (storage == ManagedWeightStorage.BFloat16)
                {
                    ((ushort*)panel)[index] = ToBFloat16(row[k]);
                }
                else
                {
                    ((float*)panel)[index] = row[k];
                }
            }
        }
    }

    /// <summary>Outputs per panel.</summary>
    public int Width { get; }

    /// <summary>Inputs (K).</summary>
    public int Inputs { get; }

    /// <summary>How the weights are stored.</summary>
    public ManagedWeightStorage Storage { get; }

    /// <summary>Panels.</summary>
    public int Count { get; }

    /// <summary>Bytes per stored weight.</summary>
    public int ElementBytes { get; }

    /// <summary>Bytes per panel.</summary>
    public long PanelBytes { get; }

    /// <summary>Bytes of all panels.</summary>
    public long Bytes { get; }

    /// <summary>Row <paramref name="k"/> of the panel holding output <paramref name="firstColumn"/> (a multiple of <see cref="Width"/>).</summary>
    public byte* At(int firstColumn, int k)
    {
        ObjectDisposedException.ThrowIf(_data is null, this);
        return _data + firstColumn / Width * PanelBytes + (long)k * Width * ElementBytes;
    }

    /// <summary>float32 to bfloat16, rounded to nearest even (NaN kept a quiet NaN).</summary>
    internal static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_data);
        _data = null;
    }
}

/// <summary>Loads panel weights as float32 vectors: the one place the microkernels differ by <see cref="ManagedWeightStorage"/>.</summary>
internal unsafe interface IPanelWeights
{
    /// <summary>Eight weights from element <paramref name="index"/> of <paramref name="panel"/>.</summary>
    static abstract Vector256<float> Load8(byte* panel, nint index);

    /// <summary>Sixteen weights from element <paramref name="index"/> of <paramref name="panel"/>.</summary>
    static abstract Vector512<float> Load16(byte* panel, nint index);
}

/// <summary>float32 panels.</summary>
internal readonly struct Float32Weights : IPanelWeights
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<float> Load8(byte* panel, nint index) => Vector256.Load((float*)panel + index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<float> Load16(byte* panel, nint index) => Vector512.Load((float*)panel + index);
}

/// <summary>bfloat16 panels: a bfloat16 is the upper half of a float32, so widening is a zero extension and a shift.</summary>
internal readonly struct BFloat16Weights : IPanelWeights
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<float> Load8(byte* panel, nint index) =>
        Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32((ushort*)panel + index), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<float> Load16(byte* panel, nint index) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.Load((ushort*)panel + index)), 16).AsSingle();
}

/// <summary>A microkernel's row count as a type, so one generic kernel compiles to one register-blocked body per count.</summary>
internal interface IRowCount
{
    static abstract int Count { get; }
}

internal readonly struct Rows1 : IRowCount
{
    public static int Count => 1;
}

internal readonly struct Rows2 : IRowCount
{
    public static int Count => 2;
}

internal readonly struct Rows3 : IRowCount
{
    public static int Count => 3;
}

internal readonly struct Rows4 : IRowCount
{
    public static int Count => 4;
}

internal readonly struct Rows5 : IRowCount
{
    public static int Count => 5;
}

internal readonly struct Rows6 : IRowCount
{
    public static int Count => 6;
}

internal readonly struct Rows7 : IRowCount
{
    public static int Count => 7;
}

internal readonly struct Rows8 : IRowCount
{
    public static int Count => 8;
}
