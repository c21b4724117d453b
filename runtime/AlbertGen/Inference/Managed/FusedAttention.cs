using System.Numerics.Tensors;
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
/// Layout: <c>qkv [rows, 3·A]</c> with rows <c>b·S + s</c>, query at column <c>h·d</c>, key at <c>A + h·d</c>, value at
/// <c>2·A + h·d</c> (what the fused <c>attention.qkv</c> product writes); <c>context [rows, A]</c>, head <c>h</c> at column
/// <c>h·d</c> (what <c>attention.dense</c> reads). The mask is additive, <c>[B, S]</c> (0 or -10000), or null.
/// Scores are computed a query at a time as <c>Σ_d q[d]·Kᵀ[d, ·]</c> over a transposed, pre-scaled copy of the keys, so the
/// inner loop is a vector multiply-add along the key positions whatever the head size.
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
    public static void Run(float* qkv, float* mask, float* context, int batch, int seq, int heads, int headSize, bool parallel,
        float* relative = null, int maxPositions = 0, bool keyQuery = false)
    {
        int parts = batch * heads;
        var shape = new Shape(seq, heads, headSize, (nint)relative, maxPositions, keyQuery);
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
    /// <remarks>
    /// Compiled fully optimised at once (as the helpers it inlines): a session calls it a few dozen times per pass, and
    /// on a busy machine tiered compilation left it at tier 0 for many passes (ten times slower, measured).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunHead(float* qkv, float* mask, float* context, int b, int h, Shape shape)
    {
        int seq = shape.Seq, heads = shape.Heads, headSize = shape.HeadSize;
        int all = heads * headSize, qkvStride = 3 * all;
        int padded = (seq + Lanes - 1) / Lanes * Lanes;
        float scale = 1f / MathF.Sqrt(headSize);
        bool relative = shape.Relative is not null;
        if (relative && seq > shape.MaxPositions)
        {
            throw new ArgumentException($"The sequence has {seq} positions; the relative-position table has {shape.MaxPositions}.");
        }

        float* keysT = NativeScratch.For(ref t_scratch, ((long)headSize * padded) + padded + headSize);
        float* scores = keysT + ((long)headSize * padded);
        float* accumulator = scores + padded;
        float* rows = qkv + ((long)b * seq * qkvStride);

        // Kᵀ [d, padded] (scaled, unless relative terms need the raw keys), zero past the sequence so the padded lanes
        // stay finite (they are never read back).
        float keyScale = relative ? 1f : scale;
        for (int d = 0; d < headSize; d++)
        {
            float* target = keysT + ((long)d * padded);
            float* key = rows + all + (h * headSize) + d;
            for (int j = 0; j < seq; j++)
            {
                target[j] = key[(long)j * qkvStride] * keyScale;
            }

            new Span<float>(target + seq, padded - seq).Clear();
        }

        float* sequenceMask = mask is null ? null : mask + ((long)b * seq);
        var scoreRow = new Span<float>(scores, seq);
        for (int i = 0; i < seq; i++)
        {
            float* query = rows + ((long)i * qkvStride) + (h * headSize);
            InitScores(scores, sequenceMask, seq, padded);
            if (relative)
            {
                RelativeScores(query, keysT, shape.Relative + (shape.MaxPositions - 1 - i), RelativeRow(shape.MaxPositions), scores, padded, headSize, scale, shape.KeyQuery);
            }
            else
            {
                Scores(query, keysT, scores, padded, headSize);
            }

            float max = TensorPrimitives.Max(scoreRow);
            TensorPrimitives.Subtract(scoreRow, max, scoreRow);
            TensorPrimitives.Exp(scoreRow, scoreRow);
            float sum = TensorPrimitives.Sum(scoreRow);
            Weighted(rows + (2 * all) + (h * headSize), qkvStride, scores, seq, headSize, accumulator);
            var output = new Span<float>(context + ((((long)b * seq) + i) * all) + (h * headSize), headSize);
            TensorPrimitives.Multiply(new ReadOnlySpan<float>(accumulator, headSize), 1f / sum, output);
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

    /// <summary><c>scores[j] += Σ_d query[d]·keysT[d, j]</c> for <c>j &lt; padded</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Scores(float* query, float* keysT, float* scores, int padded, int headSize)
    {
        for (int j = 0; j < padded; j += Vector256<float>.Count * 2)
        {
            Vector256<float> s0 = Vector256.Load(scores + j), s1 = Vector256.Load(scores + j + Vector256<float>.Count);
            float* column = keysT + j;
            for (int d = 0; d < headSize; d++, column += padded)
            {
                var q = Vector256.Create(query[d]);
                s0 = Vector256.FusedMultiplyAdd(q, Vector256.Load(column), s0);
                s1 = Vector256.FusedMultiplyAdd(q, Vector256.Load(column + Vector256<float>.Count), s1);
            }

            s0.Store(scores + j);
            s1.Store(scores + j + Vector256<float>.Count);
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

    /// <summary><c>accumulator[·] = Σ_j weights[j]·values[j, ·]</c> over <paramref name="seq"/> value rows <paramref name="stride"/> floats apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Weighted(float* values, int stride, float* weights, int seq, int headSize, float* accumulator)
    {
        int vectorEnd = headSize - (headSize % Vector256<float>.Count);
        new Span<float>(accumulator, headSize).Clear();
        for (int j = 0; j < seq; j++)
        {
            float* value = values + ((long)j * stride);
            var w = Vector256.Create(weights[j]);
            int d = 0;
            for (; d < vectorEnd; d += Vector256<float>.Count)
            {
                Vector256.FusedMultiplyAdd(w, Vector256.Load(value + d), Vector256.Load(accumulator + d)).Store(accumulator + d);
            }

            for (; d < headSize; d++)
            {
                accumulator[d] = MathF.FusedMultiplyAdd(weights[j], value[d], accumulator[d]);
            }
        }
    }

    private readonly record struct Shape(int Seq, int Heads, int HeadSize, nint RelativeAddress, int MaxPositions, bool KeyQuery)
    {
        public float* Relative => (float*)RelativeAddress;
    }
}
