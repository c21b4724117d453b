using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AlbertGen.Inference.Managed;

/// <summary>
/// Self-attention of one layer over the fused query/key/value rows, <c>softmax(q·kᵀ/√d + mask)·v</c> per sequence and head,
/// in managed code. Written here (rather than calling libtorch's <c>scaled_dot_product_attention</c>) so the fused layer
/// needs no tensor per step: at 13-128 tokens the attention itself is a few microseconds of arithmetic, less than
/// libtorch's dispatch, its head permutes and its OpenMP fork/join.
/// </summary>
/// <remarks>
/// <para>
/// Layout: <c>qkv [rows, 3·A]</c> with rows <c>b·S + s</c>, query at column <c>h·d</c>, key at <c>A + h·d</c>, value at
/// <c>2·A + h·d</c> (what the fused <c>attention.qkv</c> product writes); <c>context [rows, A]</c>, head <c>h</c> at column
/// <c>h·d</c> (what <c>attention.dense</c> reads). The mask is additive, <c>[B, S]</c> (0 or -10000), or null.
/// </para>
/// <para>
/// Absolute positions: both products of a head are matrix products, so they run on the products' register-blocked
/// microkernels (<see cref="IGemmMicrokernel"/>): the keys, pre-scaled by 1/√d, are laid out as panels of the kernel's
/// width (the mask row is the "bias" of the scores), the values likewise, and softmax runs between the two on the score
/// rows. Relative positions add a term per query and key, so that path computes scores a query at a time over a
/// transposed copy of the keys, with the distance table laid out to be read along the key positions.
/// </para>
/// </remarks>
internal static unsafe class FusedAttention
{
    /// <summary>Key positions are padded to this many floats, so the score loop has no scalar tail.</summary>
    private const int Lanes = 16;

    [ThreadStatic]
    private static NativeScratch? t_scratch;

    /// <summary>Floats of the relative-position table <see cref="PrepareRelative"/> writes for a head size and P positions.</summary>
    public static long RelativeFloats(int headSize, int maxPositions) => (long)headSize * RelativeRow(maxPositions);

    /// <summary>
    /// Lays out the distance embedding <c>[2·P - 1, d]</c> (row <c>l - r + P - 1</c>) transposed and reversed, so that
    /// for query <c>i</c> the rows of keys <c>j = 0, 1, …</c> are ascending: <c>table[dd, P - 1 - i + j]</c> = embedding
    /// row <c>i - j + P - 1</c>, element <c>dd</c>. Zero past the end, so padded key lanes read finite values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PrepareRelative(float* distanceEmbedding, int headSize, int maxPositions, float* table)
    {
        int distances = (2 * maxPositions) - 1, row = RelativeRow(maxPositions);
        for (int dd = 0; dd < headSize; dd++)
        {
            float* target = table + ((long)dd * row);
            for (int n = 0; n < distances; n++)
            {
                target[n] = distanceEmbedding[((long)(distances - 1 - n) * headSize) + dd];
            }

            new Span<float>(target + distances, row - distances).Clear();
        }
    }

    /// <summary>
    /// Runs the attention of every sequence and head, spread over <see cref="KernelParallel"/> (one region). With
    /// <paramref name="relative"/> (from <see cref="PrepareRelative"/>) the scores get HuggingFace's relative-position terms,
    /// unscaled: <c>q_i·E[i-j+P-1]</c>, plus <c>k_j·E[i-j+P-1]</c> when <paramref name="keyQuery"/>.
    /// </summary>
    public static void Run(float* qkv, float* mask, float* context, int batch, int seq, int heads, int headSize, ManagedIsa isa, bool parallel,
        float* relative = null, int maxPositions = 0, bool keyQuery = false)
    {
        int parts = batch * heads;
        var shape = new Shape(seq, heads, headSize, (nint)relative, maxPositions, keyQuery, isa);
        if (!parallel || parts == 1)
        {
            for (int p = 0; p < parts; p++)
            {
                RunHead(qkv, mask, context, p / heads, p % heads, shape);
            }

            return;
        }

        nint q = (nint)qkv, m = (nint)mask, c = (nint)context;
        KernelParallel.For(parts, p => RunHead((float*)q, (float*)m, (float*)c, p / heads, p % heads, shape));
    }

    private static int RelativeRow(int maxPositions) => (2 * maxPositions) - 1 + (2 * Lanes);

    /// <summary>The attention of sequence <paramref name="b"/>, head <paramref name="h"/>.</summary>
    private static void RunHead(float* qkv, float* mask, float* context, int b, int h, Shape shape)
    {
        if (shape.Relative is not null)
        {
            RelativeHead(qkv, mask, context, b, h, shape);
        }
        else if (shape.Isa == ManagedIsa.Avx512)
        {
            BlockedHead<GemmAvx512>(qkv, mask, context, b, h, shape);
        }
        else
        {
            BlockedHead<GemmAvx2>(qkv, mask, context, b, h, shape);
        }
    }

    /// <summary>
    /// The attention of one head with absolute positions: scores = Q·(Kᵀ/√d) + mask and context = softmax(scores)·V, both
    /// on the microkernel <typeparamref name="TKernel"/> over panels laid out here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlockedHead<TKernel>(float* qkv, float* mask, float* context, int b, int h, Shape shape)
        where TKernel : struct, IGemmMicrokernel
    {
        int seq = shape.Seq, headSize = shape.HeadSize, all = shape.Heads * headSize, qkvStride = 3 * all;
        int width = TKernel.Columns, tileRows = TKernel.Rows;
        int keyBlocks = (seq + width - 1) / width, paddedKeys = keyBlocks * width;
        int valueBlocks = (headSize + width - 1) / width;
        float scale = 1f / MathF.Sqrt(headSize);

        float* keys = NativeScratch.For(ref t_scratch,
            ((long)keyBlocks * width * headSize) + ((long)valueBlocks * width * seq) + ((long)seq * paddedKeys) + paddedKeys + width + ((long)tileRows * width));
        float* values = keys + ((long)keyBlocks * width * headSize);
        float* scores = values + ((long)valueBlocks * width * seq);
        float* maskRow = scores + ((long)seq * paddedKeys);
        float* zeros = maskRow + paddedKeys;
        float* tile = zeros + width;
        float* rows = qkv + ((long)b * seq * qkvStride);

        // Key panel kb: [d][width], element (dd, jj) = K[kb·width + jj, dd] / √d, zero past the sequence.
        new Span<float>(keys, keyBlocks * width * headSize).Clear();
        for (int j = 0; j < seq; j++)
        {
            float* key = rows + ((long)j * qkvStride) + all + (h * headSize);
            float* target = keys + ((long)(j / width) * width * headSize) + (j % width);
            for (int dd = 0; dd < headSize; dd++)
            {
                target[(long)dd * width] = key[dd] * scale;
            }
        }

        // Value panel vb: [S][width], element (j, jj) = V[j, vb·width + jj], zero past the head size.
        for (int vb = 0; vb < valueBlocks; vb++)
        {
            int first = vb * width, count = Math.Min(width, headSize - first);
            for (int j = 0; j < seq; j++)
            {
                float* target = values + ((long)vb * width * seq) + ((long)j * width);
                Buffer.MemoryCopy(rows + ((long)j * qkvStride) + (2 * all) + (h * headSize) + first, target, count * sizeof(float), count * sizeof(float));
                new Span<float>(target + count, width - count).Clear();
            }
        }

        if (mask is null)
        {
            new Span<float>(maskRow, paddedKeys).Clear();
        }
        else
        {
            Buffer.MemoryCopy(mask + ((long)b * seq), maskRow, (long)paddedKeys * sizeof(float), (long)seq * sizeof(float));
            new Span<float>(maskRow + seq, paddedKeys - seq).Clear();
        }

        new Span<float>(zeros, width).Clear();
        float* sums = stackalloc float[tileRows];
        for (int i = 0; i < seq; i += tileRows)
        {
            int count = Math.Min(tileRows, seq - i);
            float* query = rows + ((long)i * qkvStride) + (h * headSize);
            for (int kb = 0; kb < keyBlocks; kb++)
            {
                GemmMicrokernels.Tile<TKernel>(count, ManagedWeightStorage.Float32, query, qkvStride, (byte*)(keys + ((long)kb * width * headSize)), headSize,
                    maskRow + (kb * width), scores + ((long)i * paddedKeys) + (kb * width), paddedKeys, accumulate: false);
            }

            // Unnormalised: each context row is divided by its sum once, after the product (d divisions instead of S).
            for (int r = 0; r < count; r++)
            {
                sums[r] = RowMath.Exponentiate(scores + ((long)(i + r) * paddedKeys), seq);
            }

            for (int vb = 0; vb < valueBlocks; vb++)
            {
                int first = vb * width, columns = Math.Min(width, headSize - first);
                float* output = context + ((((long)b * seq) + i) * all) + (h * headSize) + first;
                float* panel = values + ((long)vb * width * seq);
                if (columns == width)
                {
                    GemmMicrokernels.Tile<TKernel>(count, ManagedWeightStorage.Float32, scores + ((long)i * paddedKeys), paddedKeys, (byte*)panel, seq, zeros, output, all, accumulate: false);
                    for (int r = 0; r < count; r++)
                    {
                        RowMath.Scale(output + ((long)r * all), width, 1f / sums[r]);
                    }

                    continue;
                }

                // A head narrower than the panel goes through a full-width tile, so the kernel never writes past the head.
                GemmMicrokernels.Tile<TKernel>(count, ManagedWeightStorage.Float32, scores + ((long)i * paddedKeys), paddedKeys, (byte*)panel, seq, zeros, tile, width, accumulate: false);
                for (int r = 0; r < count; r++)
                {
                    RowMath.Scale(tile + ((long)r * width), columns, 1f / sums[r]);
                    Buffer.MemoryCopy(tile + ((long)r * width), output + ((long)r * all), columns * sizeof(float), columns * sizeof(float));
                }
            }
        }
    }

    /// <summary>The attention of one head with relative positions, a query at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RelativeHead(float* qkv, float* mask, float* context, int b, int h, Shape shape)
    {
        int seq = shape.Seq, heads = shape.Heads, headSize = shape.HeadSize;
        int all = heads * headSize, qkvStride = 3 * all;
        int padded = (seq + Lanes - 1) / Lanes * Lanes;
        float scale = 1f / MathF.Sqrt(headSize);
        if (seq > shape.MaxPositions)
        {
            throw new ArgumentException($"The sequence has {seq} positions; the relative-position table has {shape.MaxPositions}.");
        }

        float* keysT = NativeScratch.For(ref t_scratch, ((long)headSize * padded) + padded);
        float* scores = keysT + ((long)headSize * padded);
        float* rows = qkv + ((long)b * seq * qkvStride);

        // Kᵀ [d, padded], unscaled (the relative terms need the raw keys), zero past the sequence so the padded lanes stay
        // finite (they are never read back).
        for (int d = 0; d < headSize; d++)
        {
            float* target = keysT + ((long)d * padded);
            float* key = rows + all + (h * headSize) + d;
            for (int j = 0; j < seq; j++)
            {
                target[j] = key[(long)j * qkvStride];
            }

            new Span<float>(target + seq, padded - seq).Clear();
        }

        float* sequenceMask = mask is null ? null : mask + ((long)b * seq);
        for (int i = 0; i < seq; i++)
        {
            float* query = rows + ((long)i * qkvStride) + (h * headSize);
            InitScores(scores, sequenceMask, seq, padded);
            RelativeScores(query, keysT, shape.Relative + (shape.MaxPositions - 1 - i), RelativeRow(shape.MaxPositions), scores, padded, headSize, scale, shape.KeyQuery);

            RowMath.Softmax(scores, seq);
            Weighted(rows + (2 * all) + (h * headSize), qkvStride, scores, seq, headSize, context + ((((long)b * seq) + i) * all) + (h * headSize));
        }
    }

    /// <summary><c>scores[j] = mask[j]</c> (0 without a mask, and past the sequence).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void InitScores(float* scores, float* mask, int seq, int padded)
    {
        if (mask is null)
        {
            new Span<float>(scores, padded).Clear();
        }
        else
        {
            Buffer.MemoryCopy(mask, scores, (long)padded * sizeof(float), (long)seq * sizeof(float));
            new Span<float>(scores + seq, padded - seq).Clear();
        }
    }

    /// <summary>
    /// <c>scores[j] += Σ_d (scale·q[d]·K[d, j] + q[d]·R[d, j] (+ K[d, j]·R[d, j]))</c>, <c>R</c> the relative table from the
    /// query's offset: the scaled product plus HuggingFace's unscaled relative terms.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RelativeScores(float* query, float* keysT, float* table, int tableRow, float* scores, int padded, int headSize, float scale, bool keyQuery)
    {
        for (int j = 0; j < padded; j += Vector256<float>.Count)
        {
            Vector256<float> s = Vector256.Load(scores + j);
            float* column = keysT + j;
            float* distances = table + j;
            for (int d = 0; d < headSize; d++, column += padded, distances += tableRow)
            {
                var q = Vector256.Create(query[d]);
                Vector256<float> k = Vector256.Load(column), e = Vector256.Load(distances);
                s = Vector256.FusedMultiplyAdd(q * Vector256.Create(scale), k, s);
                s = Vector256.FusedMultiplyAdd(q, e, s);
                if (keyQuery)
                {
                    s = Vector256.FusedMultiplyAdd(k, e, s);
                }
            }

            s.Store(scores + j);
        }
    }

    /// <summary><c>output[·] = Σ_j weights[j]·values[j, ·]</c> over <paramref name="seq"/> value rows <paramref name="stride"/> floats apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Weighted(float* values, int stride, float* weights, int seq, int headSize, float* output)
    {
        // Four vectors of the output at a time stay in registers across the value rows.
        const int Block = 4 * 8;
        int d0 = 0;
        for (; d0 + Block <= headSize; d0 += Block)
        {
            Vector256<float> o0 = Vector256<float>.Zero, o1 = o0, o2 = o0, o3 = o0;
            float* value = values + d0;
            for (int j = 0; j < seq; j++, value += stride)
            {
                var w = Vector256.Create(weights[j]);
                o0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(value), o0);
                o1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(value + 8), o1);
                o2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(value + 16), o2);
                o3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(value + 24), o3);
            }

            o0.Store(output + d0);
            o1.Store(output + d0 + 8);
            o2.Store(output + d0 + 16);
            o3.Store(output + d0 + 24);
        }

        for (; d0 + 8 <= headSize; d0 += 8)
        {
            Vector256<float> o = Vector256<float>.Zero;
            float* value = values + d0;
            for (int j = 0; j < seq; j++, value += stride)
            {
                o = Vector256.FusedMultiplyAdd(Vector256.Create(weights[j]), Vector256.Load(value), o);
            }

            o.Store(output + d0);
        }

        for (int d = d0; d < headSize; d++)
        {
            float sum = 0f;
            for (int j = 0; j < seq; j++)
            {
                sum = MathF.FusedMultiplyAdd(weights[j], values[((long)j * stride) + d], sum);
            }

            output[d] = sum;
        }
    }

    private readonly record struct Shape(int Seq, int Heads, int HeadSize, nint RelativeAddress, int MaxPositions, bool KeyQuery, ManagedIsa Isa)
    {
        public float* Relative => (float*)RelativeAddress;
    }
}
