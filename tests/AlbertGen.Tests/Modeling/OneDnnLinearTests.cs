using AlbertGen.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>
/// <see cref="OneDnnLinear"/>: the oneDNN product (and its fused GELU) equals libtorch's linear, it is used exactly where it
/// is meant to be, and a model's inference pass through it matches the general path.
/// </summary>
[Collection(nameof(LiveTensorCount))]
public sealed class OneDnnLinearTests
{
    private static float MaxAbsDiff(Tensor a, Tensor b)
    {
        using Tensor diff = a.sub(b).abs().max();
        return diff.item<float>();
    }

    [Theory]
    [InlineData(null)]
    [InlineData(AlbertActivation.Gelu)]
    [InlineData(AlbertActivation.GeluNew)]
    public void The_product_equals_libtorch_linear_with_the_activation_applied(AlbertActivation? activation)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        Tensor input = randn(2, 150, 48), weight = randn(96, 48).mul_(0.2), bias = randn(96);
        Tensor? product = OneDnnLinear.TryForward(input, weight, bias, activation);
        Assert.NotNull(product);

        Tensor expected = nn.functional.linear(input, weight, bias);
        if (activation is { } a)
        {
            expected = Activations.Apply(a, expected);
        }

        Assert.Equal(expected.shape, product!.shape);
        Assert.True(MaxAbsDiff(expected, product) < 1e-5, $"max abs diff {MaxAbsDiff(expected, product)}");
    }

    [Fact]
    public void Small_low_precision_or_unfusable_products_take_the_ordinary_path()
    {
        using var scope = NewDisposeScope();
        Tensor weight = randn(96, 48), bias = randn(96);
        Assert.Null(OneDnnLinear.TryForward(randn(OneDnnLinear.MinimumRows - 1, 48), weight, bias));
        Assert.NotNull(OneDnnLinear.TryForward(randn(OneDnnLinear.MinimumRows, 48), weight, bias));
        Assert.Null(OneDnnLinear.TryForward(randn(300, 48).to(ScalarType.BFloat16), weight.to(ScalarType.BFloat16), bias.to(ScalarType.BFloat16)));
        Assert.Null(OneDnnLinear.TryForward(randn(300, 48), weight, bias, AlbertActivation.Relu));
    }

    [Fact]
    public void A_long_batch_through_the_inference_path_matches_the_general_path()
    {
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny-groups"));
        using var scope = NewDisposeScope();
        manual_seed(5);
        Tensor ids = randint(5, model.Config.VocabSize, [6, 60], dtype: ScalarType.Int64); // 360 rows: oneDNN's side
        Tensor mask = ones(6, 60, dtype: ScalarType.Int64);
        mask[1, TensorIndex.Slice(40)] = tensor(0L);
        var inputs = new AlbertInputs { InputIds = ids, AttentionMask = mask };

        Tensor general;
        using (MaskedLMOutput output = model.forward(inputs)) // gradients on: the general path, libtorch's linear
        {
            general = output.Logits.detach().clone();
        }

        using var inference = inference_mode();
        using MaskedLMOutput fast = model.forward(inputs);
        Assert.True(MaxAbsDiff(general, fast.Logits) < 1e-4, $"max abs diff {MaxAbsDiff(general, fast.Logits)}");
    }
}
