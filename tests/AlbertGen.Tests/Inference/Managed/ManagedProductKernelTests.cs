using AlbertGen.Inference;
using AlbertGen.Inference.Kernels;
using AlbertGen.Inference.Managed;
using AlbertGen.Modeling;
using AlbertGen.Tests.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Inference.Managed;

/// <summary>The managed product as a layer's kernel: tensors in and out equal libtorch's, bad inputs are refused by name, it owns only its packed copy.</summary>
[Collection(nameof(LiveTensorCount))]
public sealed class ManagedProductKernelTests
{
    [Theory]
    [InlineData("avx512")]
    [InlineData("avx2")]
    public void The_managed_kernel_equals_libtorch_on_batched_and_strided_inputs(string isa)
    {
        CpuFeatures cpu = isa == "avx2" ? CpuFeatures.Current.Restrict(["avx2", "fma"]) : CpuFeatures.Current;
        if (ManagedProducts.BestIsa(cpu) is not { } best || (isa == "avx512" && best != ManagedIsa.Avx512))
        {
            return; // the other theory row covers what this CPU runs
        }

        using var scope = NewDisposeScope();
        using var generator = new TorchSharp.torch.Generator(11);
        Tensor weight = randn([100, 64], generator: generator).div(8), bias = randn([100], generator: generator);
        Tensor input = randn([3, 7, 64], generator: generator);
        Tensor strided = randn([64, 21], generator: generator).t(); // [21, 64], not contiguous
        using IProductKernel managed = ProductKernels.Create(ProductKernel.Managed, new ProductWeights(weight, bias, Owned: false), ScalarType.Float32, AlbertActivation.Gelu, cpu);
        using IProductKernel plain = ProductKernels.Create(ProductKernel.Libtorch, new ProductWeights(weight, bias, Owned: false), ScalarType.Float32, AlbertActivation.Gelu, cpu);

        Assert.Equal($"managed-{isa}-fp32", managed.Name);
        Assert.Equal(ScalarType.Float32, managed.DType);
        Assert.Equal(ProductKernels.Name(ProductKernel.Managed, ScalarType.Float32, cpu: cpu), managed.Name);
        TensorAssert.Close(plain.Forward(input), managed.Forward(input), "managed vs libtorch [3, 7, 64]", atol: 1e-5, rtol: 1e-5);
        TensorAssert.Close(plain.Forward(strided), managed.Forward(strided), "managed vs libtorch, strided input", atol: 1e-5, rtol: 1e-5);
        TensorAssert.Close(plain.Forward(input[0, 0]), managed.Forward(input[0, 0]), "managed vs libtorch, one row", atol: 1e-5, rtol: 1e-5);
    }

    [Fact]
    public void Inputs_of_the_wrong_width_or_dtype_are_refused_by_name()
    {
        if (ManagedProducts.BestIsa(CpuFeatures.Current) is null)
        {
            return;
        }

        using var scope = NewDisposeScope();
        using IProductKernel managed = ProductKernels.Create(ProductKernel.Managed, new ProductWeights(randn(8, 4), randn(8), Owned: false), ScalarType.Float32, null);
        var width = Assert.Throws<ArgumentException>(() => managed.Forward(randn(2, 5)));
        Assert.Contains("[..., 4]", width.Message, StringComparison.Ordinal);
        var dtype = Assert.Throws<ArgumentException>(() => managed.Forward(randn(2, 4).to(ScalarType.Float64)));
        Assert.Contains("float32", dtype.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_kernel_releases_owned_weights_and_keeps_only_its_packed_copy()
    {
        if (ManagedProducts.BestIsa(CpuFeatures.Current) is null)
        {
            return;
        }

        long before = Tensor.TotalCount;
        var weights = new ProductWeights(randn(48, 32).DetachFromDisposeScope(), randn(48).DetachFromDisposeScope(), Owned: true);
        IProductKernel managed = ProductKernels.Create(ProductKernel.Managed, weights, ScalarType.Float32, null);
        Assert.Equal(before, Tensor.TotalCount);
        Assert.True(weights.Weight.IsInvalid, "the owned weight was released");
        var product = ((ManagedProductKernel)managed).Product;
        Assert.True(product.WeightBytes >= 48 * 32 * sizeof(float));
        managed.Dispose();
    }

    [Fact]
    public void Forcing_the_managed_kernel_where_it_cannot_run_is_refused_with_the_reason()
    {
        CpuFeatures none = CpuFeatures.Current.Restrict([]);
        var noAvx2 = Assert.Throws<PlatformNotSupportedException>(() =>
            ProductKernels.Choose(none, ScalarType.Float32, LayerProduct.FeedForward, 768, 768, DeviceType.CPU, ProductKernel.Managed));
        Assert.Contains("AVX2", noAvx2.Message, StringComparison.Ordinal);
        var bf16 = Assert.Throws<PlatformNotSupportedException>(() =>
            ProductKernels.Choose(CpuFeatures.Current, ScalarType.BFloat16, LayerProduct.FeedForward, 768, 768, DeviceType.CPU, ProductKernel.Managed));
        Assert.Contains("float32", bf16.Message, StringComparison.Ordinal);
    }
}
