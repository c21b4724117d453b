using AlbertGen.Inference.Int8;
using AlbertGen.Inference.Managed;
using AlbertGen.Modeling;
using AlbertGen.Tests.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Inference.Managed;

/// <summary>
/// The managed int8 product (<see cref="ManagedInt8Product"/>) on every instruction set this machine's JIT runs (AVX2 on
/// every x86-64 CI machine, AVX512BW where present): exact integer sums against a scalar reference of the same quantised
/// math, float results against libtorch's float32 product within the quantisation error, and the edges (one row, inputs
/// not a multiple of 4 or 32, outputs not a multiple of the 16-column block, all-zero rows, large magnitudes, NaN).
/// </summary>
[Collection(nameof(LiveTensorCount))]
public sealed unsafe class ManagedInt8ProductTests
{
    /// <summary>Bound on max |int8 − float32| / max |float32|: 7-bit activations and 8-bit weights (as <c>onednn-int8-u7</c>).</summary>
    private const double QuantisationBound = 0.05;

    /// <summary>The instruction sets the JIT here runs (by name: the enum is internal).</summary>
    public static TheoryData<string> Isas()
    {
        var isas = new TheoryData<string>();
        foreach (ManagedIsa isa in Enum.GetValues<ManagedIsa>().Where(ManagedInt8Product.IsSupported))
        {
            isas.Add(isa.ToString());
        }

        return isas;
    }

    [Fact]
    public void Every_x86_machine_tests_the_avx2_kernel() => Assert.True(ManagedInt8Product.IsSupported(ManagedIsa.Avx2), "the JIT here has no AVX2");

    [Theory]
    [MemberData(nameof(Isas))]
    public void Integer_sums_are_exact(string isaName)
    {
        ManagedIsa isa = Enum.Parse<ManagedIsa>(isaName);
        // Weights with ±127 in every row quantise with scale 1, inputs spanning exactly 127 with scale 1 and zero point
        // -low: every float below is an exact integer, so the kernel must equal the integer sum exactly.
        var random = new Random(7);
        foreach ((int rows, int inputs, int outputs) in new[] { (2, 1, 3), (1, 3, 5), (5, 33, 17), (4, 32, 16), (7, 100, 50), (9, 257, 130), (64, 96, 64) })
        {
            sbyte[] weights = new sbyte[outputs * inputs];
            for (int n = 0; n < outputs; n++)
            {
                for (int k = 0; k < inputs; k++)
                {
                    weights[n * inputs + k] = (sbyte)random.Next(-127, 128);
                }

                weights[n * inputs + random.Next(inputs)] = (sbyte)(random.Next(2) == 0 ? 127 : -127);
            }

            int low = -random.Next(0, 128);
            float[] x = new float[rows * inputs];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = random.Next(low, low + 128);
            }

            x[0] = low;
            x[^1] = low + 127;
            if (rows > 2)
            {
                Array.Clear(x, inputs, inputs); // an all-zero row
            }

            float[] bias = Enumerable.Range(0, outputs).Select(n => (float)(n % 7 - 3)).ToArray();
            float[] scales = Enumerable.Repeat(1f, outputs).ToArray();
            using var product = new ManagedInt8Product(weights, scales, bias, outputs, inputs, null, isa);
            float[] actual = Run(product, x, rows);
            for (int m = 0; m < rows; m++)
            {
                for (int n = 0; n < outputs; n++)
                {
                    long sum = (long)bias[n];
                    for (int k = 0; k < inputs; k++)
                    {
                        sum += (long)x[m * inputs + k] * weights[n * inputs + k];
                    }

                    Assert.True(sum == actual[m * outputs + n], $"{isa} [{rows}×{inputs}]·[{outputs}×{inputs}]ᵀ at ({m}, {n}): {actual[m * outputs + n]}, expected {sum}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Float_results_equal_a_scalar_reference_of_the_same_quantised_math(string isaName)
    {
        ManagedIsa isa = Enum.Parse<ManagedIsa>(isaName);
        using var scope = NewDisposeScope();
        manual_seed(3);
        foreach ((int rows, int inputs, int outputs) in new[] { (1, 768, 40), (16, 129, 33), (37, 64, 200) })
        {
            Tensor weight = randn(outputs, inputs), bias = randn(outputs), input = randn(rows, inputs).mul_(3).add_(0.5);
            using ManagedInt8Product product = ManagedInt8Product.Create(weight, bias, null, isa);
            float[] x = input.data<float>().ToArray();
            float[] actual = Run(product, x, rows);

            using Int8Weight quantized = Int8Weight.Quantize(weight, Int8Granularity.PerChannel);
            sbyte[] w = quantized.Values.data<sbyte>().ToArray();
            float[] ws = quantized.Scales.data<float>().ToArray(), b = bias.data<float>().ToArray();
            float low = Math.Min(0, x.Min()), high = Math.Max(0, x.Max());
            float scale = (high - low) / 127;
            int zero = Math.Clamp((int)MathF.Round(-low / scale), 0, 127);
            double largest = 0, worst = 0;
            for (int m = 0; m < rows; m++)
            {
                for (int n = 0; n < outputs; n++)
                {
                    long sum = 0;
                    for (int k = 0; k < inputs; k++)
                    {
                        int q = Math.Clamp((int)MathF.Round(x[m * inputs + k] * (1 / scale)) + zero, 0, 127);
                        sum += (long)(q - zero) * w[n * inputs + k];
                    }

                    double expected = sum * (double)scale * ws[n] + b[n];
                    largest = Math.Max(largest, Math.Abs(expected));
                    worst = Math.Max(worst, Math.Abs(expected - actual[m * outputs + n]));
                }
            }

            Assert.True(worst <= 1e-5 * largest, $"{isa} [{rows}×{inputs}→{outputs}]: max diff {worst} of {largest}");
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Every_activation_and_the_addend_match_libtorch_float32_within_the_quantisation_error(string isaName)
    {
        ManagedIsa isa = Enum.Parse<ManagedIsa>(isaName);
        AlbertActivation?[] activations = [null, .. Enum.GetValues<AlbertActivation>()];
        using var scope = NewDisposeScope();
        manual_seed(11);
        foreach ((int rows, int inputs, int outputs) in new[] { (1, 256, 48), (16, 300, 257), (130, 128, 384) })
        {
            Tensor weight = randn(outputs, inputs).div_(Math.Sqrt(inputs)), bias = randn(outputs).mul_(0.1), input = randn(rows, inputs), addend = randn(rows, outputs);
            foreach (AlbertActivation? activation in activations)
            {
                using ManagedInt8Product product = ManagedInt8Product.Create(weight, bias, activation, isa);
                Tensor expected = nn.functional.linear(input, weight, bias);
                if (activation is { } a)
                {
                    expected = Activations.Apply(a, expected);
                }

                float[] actual = Run(product, input.data<float>().ToArray(), rows, addend.data<float>().ToArray());
                Tensor got = tensor(actual).view(rows, outputs).sub_(addend);
                double error = got.sub(expected).abs().max().item<float>() / expected.abs().max().item<float>();
                Assert.True(error <= QuantisationBound, $"{isa} {activation?.ToString() ?? "none"} [{rows}×{inputs}→{outputs}]: relative error {error:P2}");
                Assert.True(error > 0, "an int8 product equal to float32 everywhere did not quantise");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Large_magnitudes_and_all_zero_inputs_stay_within_the_error(string isaName)
    {
        ManagedIsa isa = Enum.Parse<ManagedIsa>(isaName);
        using var scope = NewDisposeScope();
        manual_seed(5);
        Tensor weight = randn(20, 70).mul_(1e4), bias = randn(20).mul_(1e6), input = randn(6, 70).mul_(1e5);
        input[2] = zeros(70);
        using ManagedInt8Product product = ManagedInt8Product.Create(weight, bias, null, isa);
        Tensor expected = nn.functional.linear(input, weight, bias);
        Tensor got = tensor(Run(product, input.data<float>().ToArray(), 6)).view(6, 20);
        Assert.True(got.isfinite().all().item<bool>());
        Assert.True(got.sub(expected).abs().max().item<float>() <= QuantisationBound * expected.abs().max().item<float>());

        float[] allZero = Run(product, new float[3 * 70], 3);
        float[] b = bias.data<float>().ToArray();
        Assert.Equal(Enumerable.Repeat(b, 3).SelectMany(r => r).ToArray(), allZero); // zero input: exactly the bias
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void An_input_with_a_NaN_or_an_infinity_is_computed_in_float32_from_the_quantised_weights(string isaName)
    {
        ManagedIsa isa = Enum.Parse<ManagedIsa>(isaName);
        using var scope = NewDisposeScope();
        manual_seed(9);
        Tensor weight = randn(24, 40), bias = randn(24), input = randn(3, 40);
        using ManagedInt8Product product = ManagedInt8Product.Create(weight, bias, null, isa);
        using Int8Weight quantized = Int8Weight.Quantize(weight, Int8Granularity.PerChannel);
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity })
        {
            float[] x = input.data<float>().ToArray();
            x[40 + 7] = bad; // row 1
            Tensor got = tensor(Run(product, x, 3)).view(3, 24);
            Tensor expected = nn.functional.linear(tensor(x).view(3, 40), quantized.Dequantize(), bias);
            Assert.True(!float.IsNaN(bad) || got[1].isnan().all().item<bool>(), "a NaN input row gives NaN outputs");
            Assert.True(got[0].sub(expected[0]).abs().max().item<float>() < 1e-4, $"row 0 with {bad} in row 1");
            Assert.True(got[2].sub(expected[2]).abs().max().item<float>() < 1e-4, $"row 2 with {bad} in row 1");
        }
    }

    [Fact]
    public void Tiles_and_threads_give_the_same_bits_as_one_call()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        Tensor weight = randn(200, 96), bias = randn(200), input = randn(300, 96);
        ManagedIsa isa = ManagedInt8Product.Best(AlbertGen.Inference.CpuFeatures.Current) ?? ManagedIsa.Avx2;
        using ManagedInt8Product product = ManagedInt8Product.Create(weight, bias, AlbertActivation.Gelu, isa);
        float[] x = input.data<float>().ToArray();
        float[] whole = Run(product, x, 300); // through the runner: parallel tiles
        float[] pieces = new float[300 * 200];
        byte[] scratch = new byte[product.ScratchBytes(300)];
        fixed (float* xp = x)
        fixed (float* op = pieces)
        fixed (byte* sp = scratch)
        {
            product.Prepare(xp, 96, 300, sp);
            for (int row = 0; row < 300; row += 77)
            {
                for (int column = 0; column < 200; column += 48)
                {
                    product.Run(xp, 96, sp, op, 200, null, row, Math.Min(77, 300 - row), column, Math.Min(48, 200 - column));
                }
            }
        }

        Assert.Equal(whole, pieces);
    }

    [Fact]
    public void Bad_weights_are_refused_with_the_reason()
    {
        var shape = Assert.Throws<ArgumentException>(() => new ManagedInt8Product(new sbyte[5], [1f, 1f], [0f, 0f], 2, 3, null, ManagedIsa.Avx2));
        Assert.Contains("[2×3]", shape.Message, StringComparison.Ordinal);
        var asymmetric = Assert.Throws<ArgumentException>(() => new ManagedInt8Product([1, -128, 0], [1f], [0f], 1, 3, null, ManagedIsa.Avx2));
        Assert.Contains("-128", asymmetric.Message, StringComparison.Ordinal);
    }

    /// <summary>The product over <paramref name="rows"/> rows of <paramref name="x"/> through <see cref="ManagedProductRunner"/> (tiles on every thread).</summary>
    private static float[] Run(IManagedProduct product, float[] x, int rows, float[]? addend = null)
    {
        float[] output = new float[rows * product.Outputs];
        fixed (float* xp = x)
        fixed (float* op = output)
        fixed (float* ap = addend)
        {
            ManagedProductRunner.Run(product, xp, product.Inputs, rows, op, product.Outputs, ap);
        }

        return output;
    }
}
