using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>
/// <see cref="AlbertLinear"/>: built for loading it skips the random initialisation, and only then; a new one is initialised
/// as TorchSharp's <c>Linear</c> is; its parameters keep the checkpoint names; in a training pass inside a
/// <see cref="MixedPrecision.TrainingProducts"/> scope its product runs in the scope's dtype, and otherwise it is exactly
/// <c>linear</c>.
/// </summary>
[Collection(Training.TorchRandomCollection.Name)]
public sealed class AlbertLinearTests
{
    /// <summary>The first number the global generator gives after <paramref name="action"/>, seeded before it.</summary>
    private static float NextRandomAfter(Action action)
    {
        manual_seed(42);
        action();
        using Tensor next = rand(1);
        return next.item<float>();
    }

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> have the same shape, dtype and every value.</summary>
    private static bool Identical(Tensor a, Tensor b)
    {
        using Tensor same = a.eq(b).all();
        return a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && same.item<bool>();
    }

    [Fact]
    public void Linear_layers_built_for_loading_draw_no_random_numbers()
    {
        float untouched = NextRandomAfter(() => { });
        float skipped = NextRandomAfter(() => new AlbertLinear(64, 32, random: false).Dispose());
        float initialised = NextRandomAfter(() => new AlbertLinear(64, 32, random: true).Dispose());
        Assert.Equal(untouched, skipped);
        Assert.NotEqual(untouched, initialised);
    }

    [Fact]
    public void A_new_linear_layer_draws_the_weights_TorchSharps_Linear_draws()
    {
        manual_seed(7);
        using var ours = new AlbertLinear(24, 10, random: true);
        manual_seed(7);
        using TorchSharp.Modules.Linear theirs = nn.Linear(24, 10);
        Assert.True(Identical(ours.weight, theirs.weight!), "weight");
        Assert.True(Identical(ours.bias, theirs.bias!), "bias");
    }

    [Fact]
    public void A_model_built_for_loading_draws_no_random_numbers_and_a_new_one_does()
    {
        AlbertConfig config = TinyModels.Config();
        float untouched = NextRandomAfter(() => { });
        float forLoading = NextRandomAfter(() => new AlbertForMaskedLM(config, random: false).Dispose());
        float fresh = NextRandomAfter(() => new AlbertForMaskedLM(config).Dispose());
        Assert.NotEqual(untouched, forLoading); // embeddings keep TorchSharp's constructor
        Assert.NotEqual(forLoading, fresh);
    }

    [Fact]
    public void A_linear_layer_built_for_loading_has_its_shape_and_trainable_parameters()
    {
        using var linear = new AlbertLinear(5, 3, random: false);
        Assert.Equal([3L, 5L], linear.weight.shape);
        Assert.Equal([3L], linear.bias.shape);
        Assert.True(linear.weight.requires_grad && linear.bias.requires_grad);
        Assert.Equal(["weight", "bias"], linear.named_parameters().Select(p => p.name));
    }

    [Fact]
    public void Converting_the_layer_converts_the_parameters_its_product_uses()
    {
        using var linear = new AlbertLinear(4, 2, random: true);
        linear.to(ScalarType.Float64);
        using Tensor x = ones(3, 4, dtype: ScalarType.Float64);
        using Tensor y = linear.forward(x);
        Assert.Equal(ScalarType.Float64, linear.weight.dtype);
        Assert.Same(linear.weight, linear.get_parameter("weight"));
        Assert.Equal(ScalarType.Float64, y.dtype);
    }

    /// <summary>A seeded layer 64 → 32 in train mode, an input <c>[8, 64]</c> and its float32 product (in the caller's dispose scope).</summary>
    private static (AlbertLinear Layer, Tensor Input, Tensor Exact) SeededLayer()
    {
        manual_seed(11);
        var layer = new AlbertLinear(64, 32, random: true);
        layer.train();
        Tensor input = randn(8, 64);
        return (layer, input, nn.functional.linear(input, layer.weight, layer.bias));
    }

    [Fact]
    public void In_a_bfloat16_training_scope_the_product_runs_in_bfloat16_and_the_gradient_arrives_in_float32()
    {
        using var scope = NewDisposeScope();
        (AlbertLinear layer, Tensor input, Tensor exact) = SeededLayer();
        using var owned = layer;
        Tensor expected = nn.functional.linear(input.bfloat16(), layer.weight.bfloat16(), layer.bias.bfloat16()).@float();
        Tensor mixed;
        using (MixedPrecision.TrainingProducts(ScalarType.BFloat16))
        {
            mixed = layer.forward(input);
        }

        Assert.Equal(ScalarType.Float32, mixed.dtype);
        Assert.True(Identical(mixed, expected), "the product is the bfloat16 product, cast back");
        // bfloat16 keeps 8 significant bits: the result differs from float32 by a few 2^-8 of its size, no more, no less.
        double difference = (mixed - exact).abs().max().item<float>();
        double scale = exact.abs().max().item<float>();
        Assert.InRange(difference, 1e-4 * scale, 0.05 * scale);

        mixed.sum().backward();
        Assert.Equal(ScalarType.Float32, layer.weight.grad!.dtype);
        Assert.Equal(ScalarType.Float32, layer.bias.grad!.dtype);
        // d(sum)/d(bias) is the batch size exactly, also through the bfloat16 casts.
        Assert.True(Identical(layer.bias.grad, full(32, 8f)), "bias gradient");
    }

    [Fact]
    public void Outside_a_scope_and_in_eval_mode_the_product_is_exactly_float32_linear()
    {
        using var scope = NewDisposeScope();
        (AlbertLinear layer, Tensor input, Tensor exact) = SeededLayer();
        using var owned = layer;
        Assert.True(Identical(layer.forward(input), exact), "a training pass outside a scope");

        layer.eval();
        using (MixedPrecision.TrainingProducts(ScalarType.BFloat16))
        {
            Assert.True(Identical(layer.forward(input), exact), "an evaluation pass inside a bfloat16 scope");
        }
    }
}
