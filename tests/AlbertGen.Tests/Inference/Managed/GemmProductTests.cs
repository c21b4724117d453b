using AlbertGen.Inference;
using AlbertGen.Inference.Managed;
using AlbertGen.Modeling;
using AlbertGen.Tests.Modeling;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Inference.Managed;

/// <summary>
/// Every managed float32 product variant this machine can run (AVX2 and AVX-512 kernels, float32 and bfloat16-stored
/// weights) equals libtorch's linear, activation and addend, at shapes that hit every edge of the blocking.
/// </summary>
[Collection(nameof(LiveTensorCount))]
public sealed unsafe class GemmProductTests(ITestOutputHelper log)
{
    /// <summary>rows, inputs, outputs: single values, tails of the 6/8-row tiles, 16/32-wide panels, 256-deep k stretches and 96-row blocks.</summary>
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 1, 1 }, { 1, 64, 96 }, { 2, 7, 33 }, { 5, 16, 16 }, { 6, 100, 31 }, { 7, 32, 64 }, { 8, 255, 17 }, { 9, 257, 48 },
        { 13, 128, 384 }, { 16, 513, 70 }, { 97, 300, 65 }, { 193, 40, 130 },
    };

    private static readonly string[] Variants = ["avx2-fp32", "avx512-fp32", "avx2-bf16w", "avx512-bf16w"];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_variant_equals_libtorch_at_every_blocking_edge(int rows, int inputs, int outputs)
    {
        foreach (string variant in Variants)
        {
            if (Variant(variant) is not { } v)
            {
                continue;
            }

            foreach (AlbertActivation? activation in new AlbertActivation?[] { null, AlbertActivation.Gelu })
            {
                Check(v.Isa, v.Storage, rows, inputs, outputs, activation, withAddend: activation is null, seed: rows * 31 + outputs);
            }
        }
    }

    [Theory]
    [InlineData(AlbertActivation.Gelu)]
    [InlineData(AlbertActivation.GeluNew)]
    [InlineData(AlbertActivation.GeluFast)]
    [InlineData(AlbertActivation.QuickGelu)]
    [InlineData(AlbertActivation.Relu)]
    [InlineData(AlbertActivation.Silu)]
    public void Every_activation_and_the_addend_equal_libtorch(AlbertActivation activation)
    {
        foreach (string variant in Variants)
        {
            if (Variant(variant) is { } v)
            {
                Check(v.Isa, v.Storage, 11, 70, 45, activation, withAddend: true, seed: (int)activation, inputScale: 4);
                Check(v.Isa, v.Storage, 3, 300, 64, activation, withAddend: false, seed: 7 + (int)activation, inputScale: 4);
            }
        }
    }

    [Fact]
    public void Activations_are_accurate_far_into_the_tails()
    {
        // Inputs from -12 to 12: GELU's small negative outputs keep their relative accuracy (libtorch computes them in float32 too).
        using var scope = NewDisposeScope();
        Tensor x = linspace(-12, 12, 2401, dtype: ScalarType.Float32);
        float[] values = x.data<float>().ToArray();
        foreach (AlbertActivation activation in Enum.GetValues<AlbertActivation>())
        {
            float[] ours = (float[])values.Clone();
            fixed (float* p = ours)
            {
                GemmEpilogue.Apply(p, ours.Length, ManagedProducts.ToManaged(activation), null);
            }

            Tensor expected = Activations.Apply(activation, x.to(ScalarType.Float64)).to(ScalarType.Float32);
            TensorAssert.Close(expected, tensor(ours), $"{activation} over [-12, 12]", atol: 1e-7, rtol: 1e-5);
        }
    }

    [Fact]
    public void Tiles_run_from_many_threads_at_once_give_the_single_threaded_result()
    {
        foreach (string variant in Variants)
        {
            if (Variant(variant) is not { } v)
            {
                continue;
            }

            const int Rows = 150, Inputs = 300, Outputs = 200;
            using var scope = NewDisposeScope();
            using var generator = new TorchSharp.torch.Generator(3);
            float[] weight = randn([Outputs, Inputs], generator: generator).data<float>().ToArray();
            float[] bias = randn([Outputs], generator: generator).data<float>().ToArray();
            float[] input = randn([Rows, Inputs], generator: generator).data<float>().ToArray();
            using IManagedProduct product = ManagedProducts.Create(weight, bias, Outputs, Inputs, AlbertActivation.GeluNew, CpuFeatures.Current, v.Storage, v.Isa);
            float[] whole = new float[Rows * Outputs];
            fixed (float* a = input)
            fixed (float* c = whole)
            {
                product.Run(a, Inputs, null, c, Outputs, null, 0, Rows, 0, Outputs);
            }

            // Tiles of 7 rows x one column alignment, all at once from the thread pool, and concurrent whole calls through the runner.
            float[] tiled = new float[Rows * Outputs];
            int align = product.ColumnAlignment, columnTiles = (Outputs + align - 1) / align, rowTiles = (Rows + 6) / 7;
            Parallel.For(0, rowTiles * columnTiles, tile =>
            {
                int row = tile / columnTiles * 7, column = tile % columnTiles * align;
                fixed (float* a = input)
                fixed (float* c = tiled)
                {
                    product.Run(a, Inputs, null, c, Outputs, null, row, Math.Min(7, Rows - row), column, Math.Min(align, Outputs - column));
                }
            });
            Assert.Equal(whole, tiled);

            var concurrent = new float[4][];
            Parallel.For(0, concurrent.Length, i =>
            {
                concurrent[i] = new float[Rows * Outputs];
                fixed (float* a = input)
                fixed (float* c = concurrent[i])
                {
                    ManagedProductRunner.Run(product, a, Inputs, Rows, c, Outputs);
                }
            });
            Assert.All(concurrent, result => Assert.Equal(whole, result));
        }
    }

    [Fact]
    public void Bad_shapes_and_unavailable_instruction_sets_are_refused_with_the_reason()
    {
        var weight = new float[12];
        var bias = new float[4];
        var shape = Assert.Throws<ArgumentException>(() => ManagedProducts.Create(weight, bias, 4, 4, null, CpuFeatures.Current));
        Assert.Contains("[4, 4]", shape.Message, StringComparison.Ordinal);
        var biasError = Assert.Throws<ArgumentException>(() => ManagedProducts.Create(weight, new float[3], 4, 3, null, CpuFeatures.Current));
        Assert.Contains("bias", biasError.Message, StringComparison.Ordinal);
        CpuFeatures avx2 = CpuFeatures.Current.Restrict(["avx2", "fma"]);
        var isa = Assert.Throws<NotSupportedException>(() => ManagedProducts.Create(weight, bias, 4, 3, null, avx2, isa: ManagedIsa.Avx512));
        Assert.Contains("Avx512", isa.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => ManagedProducts.Create(weight, bias, 4, 3, null, CpuFeatures.Current.Restrict([])));
    }

    [Fact]
    public void Names_and_counted_bytes_say_what_runs()
    {
        if (Variant("avx2-bf16w") is not { } v)
        {
            return;
        }

        using IManagedProduct product = ManagedProducts.Create(new float[40 * 10], new float[40], 40, 10, null, CpuFeatures.Current, v.Storage, v.Isa);
        Assert.Equal("managed-avx2-bf16w", product.Name);
        Assert.Equal((48 * 10 * 2) + (48 * 4), product.WeightBytes); // three 16-wide panels of bfloat16, the bias padded alike
    }

    private (ManagedIsa Isa, ManagedWeightStorage Storage)? Variant(string name)
    {
        ManagedIsa isa = name.StartsWith("avx512", StringComparison.Ordinal) ? ManagedIsa.Avx512 : ManagedIsa.Avx2;
        ManagedWeightStorage storage = name.EndsWith("bf16w", StringComparison.Ordinal) ? ManagedWeightStorage.BFloat16 : ManagedWeightStorage.Float32;
        if (!ManagedProducts.Allows(CpuFeatures.Current, isa))
        {
            log.WriteLine($"NOT RUN {name}: this CPU or JIT does not allow {isa} ({CpuFeatures.Current})");
            return null;
        }

        return (isa, storage);
    }

    private static void Check(ManagedIsa isa, ManagedWeightStorage storage, int rows, int inputs, int outputs, AlbertActivation? activation, bool withAddend, int seed, float inputScale = 1)
    {
        using var scope = NewDisposeScope();
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        Tensor weight = randn([outputs, inputs], generator: generator).div(MathF.Sqrt(inputs));
        Tensor bias = randn([outputs], generator: generator);
        Tensor input = randn([rows, inputs], generator: generator).mul(inputScale);
        Tensor addend = randn([rows, outputs], generator: generator);
        // bfloat16-stored weights must equal float32 arithmetic on the weights rounded to bfloat16 (what libtorch rounds to).
        Tensor reference = storage == ManagedWeightStorage.BFloat16 ? weight.to(ScalarType.BFloat16).to(ScalarType.Float32) : weight;
        Tensor expected = nn.functional.linear(input.to(ScalarType.Float64), reference.to(ScalarType.Float64), bias.to(ScalarType.Float64));
        if (activation is { } a)
        {
            expected = Activations.Apply(a, expected);
        }

        if (withAddend)
        {
            expected = expected.add(addend);
        }

        float[] output = new float[rows * outputs];
        float[] inputValues = input.data<float>().ToArray(), addendValues = addend.data<float>().ToArray();
        using (IManagedProduct product = ManagedProducts.Create(weight.data<float>().ToArray(), bias.data<float>().ToArray(), outputs, inputs, activation, CpuFeatures.Current, storage, isa))
        {
            fixed (float* x = inputValues)
            fixed (float* y = output)
            fixed (float* add = addendValues)
            {
                ManagedProductRunner.Run(product, x, inputs, rows, y, outputs, withAddend ? add : null);
            }
        }

        TensorAssert.Close(expected.to(ScalarType.Float32), tensor(output).view(rows, outputs),
            $"{ManagedProducts.Name(isa, storage)} {rows}x{inputs}->{outputs} {activation?.ToString() ?? "none"}{(withAddend ? " + addend" : "")}", atol: 1e-5, rtol: 1e-5);
    }
}
