using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Linear layers of training passes with the matrix product in a lower precision and float32 master weights ("mixed
/// precision", as ALBERT itself was trained in bfloat16 on TPUs): the input, weight and bias are cast down for the product
/// and the result cast back, so activations, LayerNorms, softmax, the loss, gradients and optimiser state stay in the
/// model's dtype. Autograd differentiates through the casts, so each weight's gradient arrives in its own dtype.
/// </summary>
/// <remarks>
/// The precision is chosen by the training loop, not stored in the model: like <c>torch.autocast</c>, a
/// <see cref="TrainingProducts"/> scope applies to the training passes (modules in train mode) run on its thread
/// while it is open. Backward passes need no scope: the casts are in the autograd graph.
/// </remarks>
public static class MixedPrecision
{
    [ThreadStatic]
    private static ScalarType? t_trainingProducts;

    /// <summary>
    /// Runs the transformer layers' matrix products (query, key, value, attention output, feed-forward) of the training
    /// passes on this thread in <paramref name="dtype"/> until the returned scope is disposed (null: in the model's dtype);
    /// scopes nest. <see cref="Training.FineTuner"/> and <see cref="Training.Pretrainer"/> open one around each forward
    /// pass (their <c>TrainingMatMulDType</c>); a hand-written training loop does the same:
    /// <code>
    /// using (MixedPrecision.TrainingProducts(ScalarType.BFloat16)) { loss = model.forward(batch).Loss; }
    /// loss.backward();
    /// </code>
    /// bfloat16 is faster on a CPU with native bfloat16 (AVX512-BF16 or AMX); <c>benchmarks/README.md</c> has the
    /// measurements. Evaluation passes (eval mode) and inference are unaffected.
    /// </summary>
    /// <param name="dtype">A floating-point dtype, or null.</param>
    /// <returns>The scope; disposing it restores the enclosing scope's dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not a floating-point dtype.</exception>
    public static IDisposable TrainingProducts(ScalarType? dtype)
    {
        CheckProductDType(dtype, "TrainingMatMulDType");
        var scope = new Scope(t_trainingProducts);
        t_trainingProducts = dtype;
        return scope;
    }

    /// <summary>
    /// <paramref name="module"/> applied to <paramref name="input"/>: in a training pass (the module in train mode) inside a
    /// <see cref="TrainingProducts"/> scope, with the product in the scope's dtype.
    /// </summary>
    internal static Tensor Linear(Linear module, Tensor input)
    {
        if (!module.training || t_trainingProducts is not { } low || low == input.dtype)
        {
            return module.forward(input);
        }

        using Tensor x = input.to(low);
        using Tensor weight = module.weight!.to(low);
        using Tensor? bias = module.bias?.to(low);
        using Tensor product = nn.functional.linear(x, weight, bias);
        return product.to(input.dtype);
    }

    /// <summary><paramref name="value"/> for the setting <paramref name="setting"/>, checked to be null or a floating-point dtype.</summary>
    /// <exception cref="ArgumentException">Another dtype.</exception>
    internal static ScalarType? CheckProductDType(ScalarType? value, string setting) =>
        value is { } dtype && dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float64)
            ? throw new ArgumentException($"{setting} must be a floating-point dtype (BFloat16, Float16, Float32, Float64), not {dtype}.", nameof(value))
            : value;

    /// <summary>A <see cref="TrainingProducts"/> scope: disposing it restores the enclosing scope's dtype.</summary>
    private sealed class Scope(ScalarType? previous) : IDisposable
    {
        public void Dispose() => t_trainingProducts = previous;
    }
}
