using AlbertGen.Inference.Int8;
using AlbertGen.Modeling;
using AlbertGen.Tests.Modeling;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Inference;

/// <summary>
/// The int8 product kernel (<see cref="OneDnnInt8Kernel"/>): quantised weights stand for the float32 ones within half a
/// step, and the int8 product equals the float32 product within a stated fraction of its range, with 8-bit activations
/// where the CPU has VNNI and 7-bit ones everywhere.
/// </summary>
[Collection(nameof(LiveTensorCount))]
public sealed class Int8KernelTests(ITestOutputHelper log)
{
    /// <summary>
    /// Bound on max |int8 − float32| / max |float32| for a product: 8-bit weights and activations err by about 1 % of the
    /// output's range (measured 1.1–1.6 % on albert-base's products), 7-bit activations by about twice that.
    /// </summary>
    private static double Bound(int activationLevels) => activationLevels == 255 ? 0.03 : 0.05;

    private static bool CpuHasVnni() =>
        File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) is { } flags
        && flags.Split(' ').Any(f => f is "avx512_vnni" or "avx_vnni" or "amx_int8");

    private static double RelativeError(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        return actual.sub(expected).abs().max().item<float>() / Math.Max(1e-6, expected.abs().max().item<float>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Quantised_weights_are_within_half_a_step_of_the_float_ones(bool perChannel)
    {
        Int8Granularity granularity = perChannel ? Int8Granularity.PerChannel : Int8Granularity.PerTensor;
        using var scope = NewDisposeScope();
        manual_seed(21);
        Tensor weight = randn(40, 64).mul_(linspace(0.01, 2, 40).unsqueeze(1)); // rows of very different ranges
        weight[3] = zeros(64); // an all-zero row must not divide by zero
        using var quantized = Int8Weight.Quantize(weight, granularity);

        Assert.Equal(ScalarType.Int8, quantized.Values.dtype);
        Assert.True(quantized.Values.abs().max().item<sbyte>() <= 127);
        Tensor step = quantized.Scales.unsqueeze(1);
        Tensor error = quantized.Dequantize().sub(weight).abs();
        Assert.True(error.le(step.mul(0.5001)).all().item<bool>(), "a value is more than half a step from its weight");
        Assert.Equal(0, quantized.Dequantize()[3].abs().sum().item<float>());
        if (granularity == Int8Granularity.PerTensor)
        {
            Assert.Equal(1, quantized.Scales.unique().Item1.numel());
        }
        else
        {
            Assert.True(quantized.Scales[39].item<float>() > 50 * quantized.Scales[0].item<float>());
        }
    }

    [Theory]
    [InlineData(1, null, 127)]
    [InlineData(16, AlbertActivation.Gelu, 127)]
    [InlineData(100, AlbertActivation.GeluNew, 127)]
    [InlineData(33, AlbertActivation.Relu, 127)] // not fused: applied after the product
    [InlineData(16, null, 255)]
    [InlineData(100, AlbertActivation.GeluNew, 255)]
    public void The_int8_product_equals_the_float32_one_within_the_bound(int rows, AlbertActivation? activation, int levels)
    {
        if (levels == 255 && !CpuHasVnni())
        {
            log.WriteLine("Skipped for this CPU: 8-bit activations need VNNI (avx512_vnni, avx_vnni or amx_int8); the 7-bit cases ran.");
            return;
        }

        using var scope = NewDisposeScope();
        manual_seed(22);
        Tensor weight = randn(384, 256).mul_(0.05), bias = randn(384).mul_(0.1), input = randn(3, rows, 256);
        using OneDnnInt8Kernel? kernel = OneDnnInt8Kernel.TryCreate(weight, bias, activation, Int8Granularity.PerChannel, levels);
        Assert.NotNull(kernel); // libtorch's oneDNN int8 kernels run on every x86-64 Linux machine this project targets
        Tensor expected = nn.functional.linear(input, weight, bias);
        if (activation is { } a)
        {
            expected = Activations.Apply(a, expected);
        }

        Tensor product = kernel!.Forward(input);
        Assert.Equal(expected.shape, product.shape);
        Assert.Equal(ScalarType.Float32, product.dtype);
        double error = RelativeError(product, expected);
        log.WriteLine($"{rows} rows, {activation?.ToString() ?? "no activation"}, {levels} levels: relative error {error:E2}");
        Assert.True(error <= Bound(levels), $"relative error {error} above {Bound(levels)}");
        Assert.True(error > 1e-5, "the product was not computed in int8 at all"); // a float32 result would be exact
    }

    [Fact]
    public void An_input_without_an_int8_range_gives_what_float32_gives()
    {
        using var scope = NewDisposeScope();
        manual_seed(23);
        Tensor weight = randn(64, 32), bias = zeros(64), input = randn(4, 32);
        input[1, 5] = tensor(float.NaN);
        using OneDnnInt8Kernel kernel = OneDnnInt8Kernel.TryCreate(weight, bias, null, Int8Granularity.PerChannel, 127)!;
        Tensor product = kernel.Forward(input);
        Assert.True(product[1].isnan().all().item<bool>());
        Assert.False(product[0].isnan().any().item<bool>());
    }

    [Fact]
    public void Quantised_activations_are_the_bytes_libtorch_quantises()
    {
        using var scope = NewDisposeScope();
        manual_seed(29);
        Tensor rows = randn(5, 48).mul_(3);
        using QuantizedActivation quantized = QuantizedActivation.Quantize(rows, 255)!;
        Assert.Equal(ScalarType.Byte, quantized.Values.dtype);
        Assert.Equal(new long[] { 5, 48 }, quantized.Values.shape);

        // What libtorch's own quantisation gives with the same scale and zero point, read through its copying int_repr.
        Tensor expected = quantize_per_tensor(rows, quantized.Scale.item<double>(), quantized.ZeroPoint.item<long>(), ScalarType.QUInt8).int_repr();
        Assert.True(quantized.Values.eq(expected).all().item<bool>());
        Tensor dequantized = quantized.Values.to(ScalarType.Float32).sub(quantized.ZeroPoint.item<long>()).mul(quantized.Scale.item<double>());
        Assert.True(dequantized.sub(rows).abs().max().item<float>() <= quantized.Scale.item<double>() / 2 + 1e-6);
    }

    [Fact]
    public void Wrong_inputs_are_refused_with_the_shape_expected()
    {
        using var scope = NewDisposeScope();
        using OneDnnInt8Kernel kernel = OneDnnInt8Kernel.TryCreate(randn(8, 16), zeros(8), null, Int8Granularity.PerChannel, 127)!;
        var error = Assert.Throws<ArgumentException>(() => kernel.Forward(randn(2, 15)));
        Assert.Contains("[..., 16]", error.Message);
        Assert.Null(OneDnnInt8Kernel.TryCreate(randn(8, 16).to(ScalarType.Float64), zeros(8), null, Int8Granularity.PerChannel, 127));
        Assert.Throws<ArgumentOutOfRangeException>(() => OneDnnInt8Kernel.TryCreate(randn(8, 16), zeros(8), null, Int8Granularity.PerChannel, 200));
    }

    [Fact]
    public void Many_threads_calling_one_kernel_get_what_one_thread_gets()
    {
        using var scope = NewDisposeScope();
        manual_seed(24);
        Tensor weight = randn(96, 64), bias = randn(96);
        Tensor[] inputs = [.. Enumerable.Range(0, 8).Select(i => randn(5 + i, 64))];
        using OneDnnInt8Kernel kernel = OneDnnInt8Kernel.TryCreate(weight, bias, AlbertActivation.GeluNew, Int8Granularity.PerChannel, 127)!;
        Tensor[] expected = [.. inputs.Select(kernel.Forward)];

        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            using var inner = NewDisposeScope();
            Tensor product = kernel.Forward(inputs[i % inputs.Length]);
            Assert.True(product.equal(expected[i % inputs.Length]).all().item<bool>(), $"call {i} differs");
        });
    }
}
