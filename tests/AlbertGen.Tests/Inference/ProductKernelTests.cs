using AlbertGen.Inference;
using AlbertGen.Inference.Kernels;
using AlbertGen.Modeling;
using AlbertGen.Tests.Modeling;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Inference;

/// <summary>Each product kernel this CPU can run equals libtorch's linear (and its activation); a kernel that cannot be made falls back for its product only.</summary>
[Collection(nameof(LiveTensorCount))]
public sealed class ProductKernelTests(ITestOutputHelper log)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_packed_kernel_equals_libtorch_with_and_without_fused_gelu(bool gelu)
    {
        if (!OneDnnLinear.IsAvailable)
        {
            log.WriteLine("SKIPPED: libtorch here does not export oneDNN's linear entry points");
            return;
        }

        using var scope = NewDisposeScope();
        using var generator = new TorchSharp.torch.Generator(5);
        Tensor weight = randn([96, 64], generator: generator), bias = randn([96], generator: generator), input = randn([3, 7, 64], generator: generator);
        AlbertActivation? activation = gelu ? AlbertActivation.GeluNew : null;
        using IProductKernel packed = ProductKernels.Create(ProductKernel.OneDnnPacked, new ProductWeights(weight, bias, Owned: false), ScalarType.Float32, activation);
        using IProductKernel plain = ProductKernels.Create(ProductKernel.Libtorch, new ProductWeights(weight, bias, Owned: false), ScalarType.Float32, activation);

        Assert.Equal("onednn-packed-fp32", packed.Name);
        Assert.Equal("libtorch-fp32", plain.Name);
        TensorAssert.Close(plain.Forward(input), packed.Forward(input), "packed vs libtorch", atol: 1e-5, rtol: 1e-5);
    }

    [Fact]
    public void A_kernel_that_cannot_be_made_falls_back_for_its_product_only()
    {
        using var scope = NewDisposeScope();
        Tensor weight = randn(32, 16), bias = randn(32);
        // oneDNN does not take float16 weights: this product falls back to libtorch ...
        using IProductKernel half = ProductKernels.Create(ProductKernel.OneDnnPacked, new ProductWeights(weight, bias, Owned: false), ScalarType.Float16, null);
        Assert.Equal("libtorch-fp16", half.Name);
        if (!OneDnnLinear.IsAvailable)
        {
            log.WriteLine("SKIPPED the packed half: libtorch here does not export oneDNN's linear entry points");
            return;
        }

        // ... and nothing is switched off for the next one.
        using IProductKernel single = ProductKernels.Create(ProductKernel.OneDnnPacked, new ProductWeights(weight, bias, Owned: false), ScalarType.Float32, null);
        Assert.Equal("onednn-packed-fp32", single.Name);
    }

    [Fact]
    public void Forcing_bfloat16_packing_on_a_cpu_without_native_bfloat16_is_refused_with_the_reason()
    {
        CpuFeatures avx2 = CpuFeatures.Current.Restrict(["avx2", "fma"]);
        var e = Assert.Throws<PlatformNotSupportedException>(() =>
            ProductKernels.Choose(avx2, ScalarType.BFloat16, LayerProduct.FeedForward, 768, 768, DeviceType.CPU, ProductKernel.OneDnnPacked));
        Assert.Contains("native bfloat16", e.Message, StringComparison.Ordinal);
    }
}
