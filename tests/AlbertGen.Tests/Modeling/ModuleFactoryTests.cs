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
        float skipped = NextRandomAfter(() => ModuleFactory.WithoutInitialization(() => ModuleFactory.Linear(64, 32)).Dispose());
        float initialised = NextRandomAfter(() => ModuleFactory.Linear(64, 32).Dispose());
        Assert.Equal(untouched, skipped);
        Assert.NotEqual(untouched, initialised);
    }

    [Fact]
    public void Skipping_ends_with_the_build_even_when_it_throws()
    {
        Assert.Throws<InvalidOperationException>(() => ModuleFactory.WithoutInitialization<Linear>(() => throw new InvalidOperationException("build")));
        Assert.False(ModuleFactory.SkipsInitialization);
        ModuleFactory.WithoutInitialization(() =>
        {
            ModuleFactory.WithoutInitialization(() => 0);
            Assert.True(ModuleFactory.SkipsInitialization); // a nested build does not end the outer one
            return 0;
        });
        Assert.False(ModuleFactory.SkipsInitialization);
    }

    [Fact]
    public void A_linear_layer_built_for_loading_has_its_shape_and_trainable_parameters()
    {
        using Linear linear = ModuleFactory.WithoutInitialization(() => ModuleFactory.Linear(5, 3));
        Assert.Equal([3L, 5L], linear.weight!.shape);
        Assert.Equal([3L], linear.bias!.shape);
        Assert.True(linear.weight.requires_grad && linear.bias.requires_grad);
        Assert.Equal(["weight", "bias"], linear.named_parameters().Select(p => p.name));
    }
}
