using AlbertGen.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>Models built for loading skip TorchSharp's random initialisation of their linear layers, and only then.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public sealed class ModuleFactoryTests
{
    /// <summary>The first number the global generator gives after <paramref name="action"/>, seeded before it.</summary>
    private static float NextRandomAfter(Action action)
    {
        manual_seed(42);
        action();
        using Tensor next = rand(1);
        return next.item<float>();
    }

    [Fact]
    public void Linear_layers_built_for_loading_draw_no_random_numbers()
    {
        float untouched = NextRandomAfter(() => { });
        float skipped = NextRandomAfter(() => ModuleFactory.Linear(64, 32, random: false).Dispose());
        float initialised = NextRandomAfter(() => ModuleFactory.Linear(64, 32, random: true).Dispose());
        Assert.Equal(untouched, skipped);
        Assert.NotEqual(untouched, initialised);
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
        using Linear linear = ModuleFactory.Linear(5, 3, random: false);
        Assert.Equal([3L, 5L], linear.weight!.shape);
        Assert.Equal([3L], linear.bias!.shape);
        Assert.True(linear.weight.requires_grad && linear.bias.requires_grad);
        Assert.Equal(["weight", "bias"], linear.named_parameters().Select(p => p.name));
    }
}
