using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using AlbertGen.Modeling;

namespace AlbertGen.Inference.Managed;

/// <summary>
/// One product <c>activation(input · Wᵀ + b) (+ addend)</c> in int8: W quantised symmetrically per output channel once
/// (<see cref="Int8.Int8Weight"/>, 127 levels) and laid out for the microkernel, the input quantised at every call from its
/// own range (per tensor, asymmetric, 7-bit: <c>0…127</c>, the same scheme as <c>onednn-int8-u7</c>), u8 × s8 products
/// summed in int32, dequantised with the bias, activation and addend in the epilogue.
/// </summary>
/// <remarks>
/// <para>
/// Why it exists: libtorch's only int8 path (oneDNN) is no faster than float32 on CPUs without VNNI (<c>benchmarks/README.md</c>),
/// while ONNX Runtime's int8 there is 1.6–2× its float32. The microkernel multiplies with <c>vpmaddubsw</c> (u8 × s8
/// pairs into int16) and widens with <c>vpmaddwd</c> against ones into int32: with activations ≤ 127 and weights in
/// ±127 a pair sums to at most 32 258, so nothing saturates. .NET 10 exposes no AVX512-VNNI intrinsic (<c>vpdpbusd</c>
/// only as the VEX AVX-VNNI form, which AVX-512 EPYCs lack), so on VNNI CPUs the same code runs on 512-bit vectors
/// (AVX512BW) and competes with oneDNN's VNNI kernel.
/// </para>
/// <para>
/// Layout: columns in blocks of <see cref="BlockColumns"/>; inside a block, for each group of four inputs, the block's
/// 16 columns' four weights (64 bytes), so one 32-bit lane of a vector holds one column's four weights of a group and
/// one broadcast of four activation bytes meets them all. Inputs and columns are padded with zero weights.
/// Scratch: a header (scale, zero point, whether the input was finite), then each row's 7-bit activations.
/// </para>
/// </remarks>
internal sealed unsafe class ManagedInt8Product : IManagedProduct
{
    /// <summary>Columns per packed block (one 512-bit vector, two 256-bit ones, of int32 lanes).</summary>
    internal const int BlockColumns = 16;

    /// <summary>The largest quantised activation: 7 bits, so that <c>vpmaddubsw</c>'s int16 pair sums cannot saturate.</summary>
    internal const int ActivationLevels = 127;

    private const int Depth = 4; // inputs per int32 lane
    private const int RowsPerStep = 4;
    private const int HeaderBytes = 64;

    private readonly sbyte* _packed;
    private readonly int* _columnSums;
    private readonly float* _weightScales;
    private readonly float* _bias;
    private readonly int _groups;
    private readonly int _paddedOutputs;
    private readonly ManagedActivation _activation;
    private int _disposed;

    /// <summary>Packs int8 <paramref name="values"/> <c>[outputs, inputs]</c> (row-major, in ±127) with their per-row <paramref name="scales"/> and <paramref name="bias"/>.</summary>
    /// <exception cref="ArgumentException">The spans do not have the sizes of the shape, or <paramref name="isa"/> cannot run here.</exception>
    public ManagedInt8Product(ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales, ReadOnlySpan<float> bias, int outputs, int inputs, AlbertActivation? activation, ManagedIsa isa)
    {
        if (outputs <= 0 || inputs <= 0 || values.Length != (long)outputs * inputs || scales.Length != outputs || bias.Length != outputs)
        {
            throw new ArgumentException(
                $"an int8 product [{outputs}×{inputs}] takes {(long)outputs * inputs} weights, {outputs} scales and {outputs} biases; got {values.Length}, {scales.Length} and {bias.Length}.");
        }

        if (!IsSupported(isa))
        {
            throw new ArgumentException($"The {isa} int8 kernel cannot run on this CPU (the JIT does not support its instructions).", nameof(isa));
        }

        Inputs = inputs;
        Outputs = outputs;
        Isa = isa;
        _activation = ManagedProducts.ToManaged(activation);
        _groups = (inputs + Depth - 1) / Depth;
        _paddedOutputs = (outputs + BlockColumns - 1) / BlockColumns * BlockColumns;
        long packedBytes = (long)_paddedOutputs * _groups * Depth;
        _packed = (sbyte*)NativeMemory.AlignedAlloc((nuint)packedBytes, 64);
        _columnSums = (int*)NativeMemory.AlignedAlloc((nuint)_paddedOutputs * sizeof(int), 64);
        _weightScales = (float*)NativeMemory.AlignedAlloc((nuint)_paddedOutputs * sizeof(float), 64);
        _bias = (float*)NativeMemory.AlignedAlloc((nuint)_paddedOutputs * sizeof(float), 64);
        WeightBytes = packedBytes + 3L * _paddedOutputs * sizeof(float);
        new Span<sbyte>(_packed, checked((int)packedBytes)).Clear();
        for (int n = 0; n < _paddedOutputs; n++)
        {
            bool real = n < outputs;
            _weightScales[n] = real ? scales[n] : 0;
            _bias[n] = real ? bias[n] : 0;
            int sum = 0;
            if (real)
            {
                sbyte* block = _packed + (long)(n / BlockColumns) * _groups * BlockColumns * Depth + n % BlockColumns * Depth;
                for (int k = 0; k < inputs; k++)
                {
                    sbyte value = values[n * inputs + k];
                    if (value == sbyte.MinValue)
                    {
                        throw new ArgumentException($"int8 weight [{n}, {k}] is -128; the product takes symmetric values in ±127.", nameof(values));
                    }

                    block[(long)(k / Depth) * BlockColumns * Depth + k % Depth] = value;
                    sum += value;
                }
            }

            _columnSums[n] = sum;
        }
    }

    /// <summary>
    /// Quantises <paramref name="weight"/> (float32 <c>[N, K]</c> on the CPU, read only) per output channel exactly as the
    /// oneDNN int8 kernel does (<see cref="Int8.Int8Weight.Quantize"/>) and packs it with <paramref name="bias"/> <c>[N]</c>.
    /// </summary>
    public static ManagedInt8Product Create(TorchSharp.torch.Tensor weight, TorchSharp.torch.Tensor bias, AlbertActivation? activation, ManagedIsa isa)
    {
        if (bias.dtype != TorchSharp.torch.ScalarType.Float32 || bias.dim() != 1 || bias.shape[0] != weight.shape[0] || bias.device_type != TorchSharp.DeviceType.CPU)
        {
            throw new ArgumentException($"an int8 product's bias is float32 [{weight.shape[0]}] on the CPU, got {bias.dtype} [{string.Join(", ", bias.shape)}] on {bias.device_type}.", nameof(bias));
        }

        using var quantized = Int8.Int8Weight.Quantize(weight, Int8.Int8Granularity.PerChannel);
        using TorchSharp.torch.Tensor ownBias = bias.detach().contiguous();
        int outputs = checked((int)weight.shape[0]), inputs = checked((int)weight.shape[1]);
        return new ManagedInt8Product(
            MemoryMarshal.Cast<byte, sbyte>(quantized.Values.bytes), MemoryMarshal.Cast<byte, float>(quantized.Scales.bytes), MemoryMarshal.Cast<byte, float>(ownBias.bytes),
            outputs, inputs, activation, isa);
    }

    ~ManagedInt8Product() => Free();

    /// <summary>The instruction set the microkernel runs on.</summary>
    public ManagedIsa Isa { get; }

    public string Name => KernelName(Isa);

    public int Inputs { get; }

    public int Outputs { get; }

    public long WeightBytes { get; }

    public int ColumnAlignment => BlockColumns;

    /// <summary>The name of the kernel on <paramref name="isa"/>: <c>managed-avx2-int8</c> or <c>managed-avx512-int8</c>.</summary>
    public static string KernelName(ManagedIsa isa) => isa == ManagedIsa.Avx512 ? "managed-avx512-int8" : "managed-avx2-int8";

    /// <summary>Whether the JIT can run <paramref name="isa"/>'s instructions (respects <c>DOTNET_EnableAVX512F=0</c>).</summary>
    public static bool IsSupported(ManagedIsa isa) => isa switch
    {
        ManagedIsa.Avx2 => Avx2.IsSupported,
        ManagedIsa.Avx512 => Avx512BW.IsSupported,
        _ => false,
    };

    /// <summary>The widest instruction set both <paramref name="cpu"/> (the project's choice, <c>ALBERTGEN_CPU_FEATURES</c>) and the JIT allow; null without AVX2.</summary>
    public static ManagedIsa? Best(CpuFeatures cpu) =>
        cpu.Has("avx512bw") && IsSupported(ManagedIsa.Avx512) ? ManagedIsa.Avx512
        : cpu.Has("avx2") && IsSupported(ManagedIsa.Avx2) ? ManagedIsa.Avx2
        : null;

    public int ScratchBytes(int rows) => checked(HeaderBytes + rows * RowBytes);

    private int RowBytes => _groups * Depth;

    /// <summary>Finds the input's range over all rows and quantises every row to 7 bits into the scratch.</summary>
    public void Prepare(float* input, int inputStride, int rows, byte* scratch)
    {
        (float low, float high) = Range(input, inputStride, rows, Inputs);

        var header = (Header*)scratch;
        header->Finite = float.IsFinite(low) && float.IsFinite(high) ? 1 : 0;
        if (header->Finite == 0)
        {
            return; // Run computes these calls in float32 from the quantised weights
        }

        (float scale, int zeroPoint) = QuantizationOf(low, high);
        header->Scale = scale;
        header->ZeroPoint = zeroPoint;
        float inverse = 1 / scale;
        for (int m = 0; m < rows; m++)
        {
            Quantize(input + (long)m * inputStride, Inputs, inverse, zeroPoint, scratch + HeaderBytes + (long)m * RowBytes, RowBytes);
        }
    }

    /// <summary>The smallest and largest input, each including 0; NaN when a value is NaN (an infinity stays infinite).</summary>
    private static (float Low, float High) Range(float* input, int inputStride, int rows, int count)
    {
        Vector256<float> low = Vector256<float>.Zero, high = Vector256<float>.Zero, nan = Vector256<float>.Zero;
        float lowTail = 0, highTail = 0;
        bool tailNaN = false;
        for (int m = 0; m < rows; m++)
        {
            float* x = input + (long)m * inputStride;
            int i = 0;
            for (; i + 8 <= count; i += 8)
            {
                Vector256<float> v = Vector256.Load(x + i);
                low = Vector256.Min(low, v);
                high = Vector256.Max(high, v);
                nan |= ~Vector256.Equals(v, v);
            }

            for (; i < count; i++)
            {
                lowTail = MathF.Min(lowTail, x[i]);
                highTail = MathF.Max(highTail, x[i]);
                tailNaN |= float.IsNaN(x[i]);
            }
        }

        if (tailNaN || nan != Vector256<float>.Zero)
        {
            return (float.NaN, float.NaN);
        }

        for (int j = 0; j < Vector256<float>.Count; j++)
        {
            lowTail = MathF.Min(lowTail, low[j]);
            highTail = MathF.Max(highTail, high[j]);
        }

        return (lowTail, highTail);
    }

    /// <summary>The scale and zero point of activations in <c>[low, high]</c> (both including 0), as today's int8 path: <c>x ≈ (q − zeroPoint) · scale</c>.</summary>
    internal static (float Scale, int ZeroPoint) QuantizationOf(float low, float high)
    {
        float scale = high > low ? (high - low) / ActivationLevels : 1;
        int zeroPoint = Math.Clamp((int)MathF.Round(-low / scale), 0, ActivationLevels);
        return (scale, zeroPoint);
    }

    /// <summary>
    /// <c>q = clamp(round(x / scale) + zeroPoint, 0, 127)</c> (round half to even) for <paramref name="count"/> values, then
    /// zeros up to <paramref name="paddedCount"/> (padding meets zero weights).
    /// </summary>
    internal static void Quantize(float* x, int count, float inverseScale, int zeroPoint, byte* q, int paddedCount)
    {
        int i = 0;
        if (Avx2.IsSupported)
        {
            Vector256<float> inverse = Vector256.Create(inverseScale);
            Vector256<int> zero = Vector256.Create(zeroPoint), top = Vector256.Create(ActivationLevels);
            for (; i + 32 <= count; i += 32)
            {
                // cvtps2dq rounds half to even, like MathF.Round below; the clamp keeps each value a byte before narrowing.
                Vector256<int> a = Clamp(Avx.ConvertToVector256Int32(Vector256.Load(x + i) * inverse) + zero, top);
                Vector256<int> b = Clamp(Avx.ConvertToVector256Int32(Vector256.Load(x + i + 8) * inverse) + zero, top);
                Vector256<int> c = Clamp(Avx.ConvertToVector256Int32(Vector256.Load(x + i + 16) * inverse) + zero, top);
                Vector256<int> d = Clamp(Avx.ConvertToVector256Int32(Vector256.Load(x + i + 24) * inverse) + zero, top);
                Vector256.Narrow(Vector256.Narrow(a.AsUInt32(), b.AsUInt32()), Vector256.Narrow(c.AsUInt32(), d.AsUInt32())).Store(q + i);
            }
        }

        for (; i < count; i++)
        {
            q[i] = (byte)Math.Clamp((int)MathF.Round(x[i] * inverseScale) + zeroPoint, 0, ActivationLevels);
        }

        for (; i < paddedCount; i++)
        {
            q[i] = 0;
        }
    }

    public void Run(float* input, int inputStride, byte* scratch, float* output, int outputStride, float* addend, int firstRow, int rowCount, int firstColumn, int columnCount)
    {
        var header = (Header*)scratch;
        if (header->Finite == 0)
        {
            RunFloat(input, inputStride, output, outputStride, addend, firstRow, rowCount, firstColumn, columnCount);
            return;
        }

        int endColumn = firstColumn + columnCount;
        for (int block = firstColumn / BlockColumns; block * BlockColumns < endColumn; block++)
        {
            int column = block * BlockColumns;
            int start = Math.Max(column, firstColumn), end = Math.Min(column + BlockColumns, endColumn);
            sbyte* weights = _packed + (long)block * _groups * BlockColumns * Depth;
            for (int m = firstRow; m < firstRow + rowCount; m += RowsPerStep)
            {
                int rows = Math.Min(RowsPerStep, firstRow + rowCount - m);
                byte* a = scratch + HeaderBytes + (long)m * RowBytes;
                Accumulators sums;
                if (Isa == ManagedIsa.Avx512)
                {
                    Block512(weights, a, RowBytes, rows, _groups, &sums);
                }
                else
                {
                    Block256(weights, a, RowBytes, rows, _groups, &sums);
                }

                Epilogue(&sums, header->Scale, header->ZeroPoint, column, start - column, end - column, rows, output + (long)m * outputStride, outputStride,
                    addend is null ? null : addend + (long)m * outputStride);
            }
        }
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    /// <summary>The int32 sums of up to four rows × one block of 16 columns.</summary>
    [StructLayout(LayoutKind.Sequential, Size = RowsPerStep * BlockColumns * sizeof(int))]
    private struct Accumulators;

    [StructLayout(LayoutKind.Sequential)]
    private struct Header
    {
        public float Scale;
        public int ZeroPoint;
        public int Finite;
    }

    private static Vector256<int> Clamp(Vector256<int> value, Vector256<int> top) => Vector256.Min(Vector256.Max(value, Vector256<int>.Zero), top);

    /// <summary>Four rows (the missing ones repeat the last) × 16 columns on 256-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block256(sbyte* weights, byte* a, int rowBytes, int rows, int groups, Accumulators* sums)
    {
        byte* a0 = a, a1 = a + (rows > 1 ? rowBytes : 0), a2 = a + (rows > 2 ? 2 * rowBytes : 0), a3 = a + (rows > 3 ? 3 * rowBytes : 0);
        Vector256<short> ones = Vector256.Create((short)1);
        Vector256<int> s0l = default, s0h = default, s1l = default, s1h = default, s2l = default, s2h = default, s3l = default, s3h = default;
        for (int g = 0; g < groups; g++)
        {
            Vector256<sbyte> wl = Vector256.Load(weights), wh = Vector256.Load(weights + 32);
            weights += BlockColumns * Depth;
            int k = g * Depth;
            Vector256<byte> x = Vector256.Create(*(int*)(a0 + k)).AsByte();
            s0l += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, wl), ones);
            s0h += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, wh), ones);
            x = Vector256.Create(*(int*)(a1 + k)).AsByte();
            s1l += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, wl), ones);
            s1h += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, wh), ones);
            x = Vector256.Create(*(int*)(a2 + k)).AsByte();
            s2l += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, wl), ones);
            s2h += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, wh), ones);
            x = Vector256.Create(*(int*)(a3 + k)).AsByte();
            s3l += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, wl), ones);
            s3h += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, wh), ones);
        }

        int* s = (int*)sums;
        s0l.Store(s);
        s0h.Store(s + 8);
        s1l.Store(s + 16);
        s1h.Store(s + 24);
        s2l.Store(s + 32);
        s2h.Store(s + 40);
        s3l.Store(s + 48);
        s3h.Store(s + 56);
    }

    /// <summary>Four rows (the missing ones repeat the last) × 16 columns on 512-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block512(sbyte* weights, byte* a, int rowBytes, int rows, int groups, Accumulators* sums)
    {
        byte* a0 = a, a1 = a + (rows > 1 ? rowBytes : 0), a2 = a + (rows > 2 ? 2 * rowBytes : 0), a3 = a + (rows > 3 ? 3 * rowBytes : 0);
        Vector512<short> ones = Vector512.Create((short)1);
        Vector512<int> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int g = 0; g < groups; g++)
        {
            Vector512<sbyte> w = Vector512.Load(weights);
            weights += BlockColumns * Depth;
            int k = g * Depth;
            s0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(*(int*)(a0 + k)).AsByte(), w), ones);
            s1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(*(int*)(a1 + k)).AsByte(), w), ones);
            s2 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(*(int*)(a2 + k)).AsByte(), w), ones);
            s3 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(*(int*)(a3 + k)).AsByte(), w), ones);
        }

        int* s = (int*)sums;
        s0.Store(s);
        s1.Store(s + 16);
        s2.Store(s + 32);
        s3.Store(s + 48);
    }

    /// <summary>
    /// <c>(sum − zeroPoint · columnSum) · scale · weightScale + bias</c>, activated, plus the addend, for columns
    /// <c>[from, to)</c> of the block at <paramref name="column"/> and <paramref name="rows"/> rows.
    /// </summary>
    private void Epilogue(Accumulators* sums, float scale, int zeroPoint, int column, int from, int to, int rows, float* output, int outputStride, float* addend)
    {
        float* partial = stackalloc float[BlockColumns];
        int count = to - from;
        for (int r = 0; r < rows; r++)
        {
            int* s = (int*)sums + r * BlockColumns;
            float* row = output + (long)r * outputStride + column;
            float* values = count == BlockColumns ? row : partial; // a block cut by the tile or the last column goes through a buffer
            for (int half = 0; half < BlockColumns; half += 8)
            {
                int n = column + half;
                Vector256<int> exact = Vector256.Load(s + half) - Vector256.Create(zeroPoint) * Vector256.Load(_columnSums + n);
                Vector256<float> result = Vector256.ConvertToSingle(exact) * (Vector256.Create(scale) * Vector256.Load(_weightScales + n)) + Vector256.Load(_bias + n);
                result.Store(values + half);
            }

            if (values == partial)
            {
                new ReadOnlySpan<float>(partial + from, count).CopyTo(new Span<float>(row + from, count));
            }

            ManagedActivations.Apply(row + from, count, _activation, addend is null ? null : addend + (long)r * outputStride + column + from);
        }
    }

    /// <summary>A call whose input holds a NaN or an infinity (no int8 range): float32 products with the quantised weights, as the oneDNN int8 kernel does.</summary>
    private void RunFloat(float* input, int inputStride, float* output, int outputStride, float* addend, int firstRow, int rowCount, int firstColumn, int columnCount)
    {
        for (int m = firstRow; m < firstRow + rowCount; m++)
        {
            float* x = input + (long)m * inputStride;
            float* row = output + (long)m * outputStride;
            for (int n = firstColumn; n < firstColumn + columnCount; n++)
            {
                sbyte* w = _packed + (long)(n / BlockColumns) * _groups * BlockColumns * Depth + n % BlockColumns * Depth;
                float sum = 0;
                for (int k = 0; k < Inputs; k++)
                {
                    sum += x[k] * w[(long)(k / Depth) * BlockColumns * Depth + k % Depth];
                }

                row[n] = sum * _weightScales[n] + _bias[n];
            }

            ManagedActivations.Apply(row + firstColumn, columnCount, _activation, addend is null ? null : addend + (long)m * outputStride + firstColumn);
        }
    }

    private void Free()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            NativeMemory.AlignedFree(_packed);
            NativeMemory.AlignedFree(_columnSums);
            NativeMemory.AlignedFree(_weightScales);
            NativeMemory.AlignedFree(_bias);
        }
    }
}
