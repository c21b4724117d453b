using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Training passes with the linear layers' matrix products in a lower precision and float32 master weights ("mixed
/// precision", as ALBERT itself was trained in bfloat16 on TPUs): each linear layer casts its input, weight and bias down
/// for the product and the result back, so activations, LayerNorms, softmax, attention scores, the tied masked-LM decoder,
/// the loss, gradients and optimiser state stay in the model's dtype. Autograd differentiates through the casts, so each
/// weight's gradient arrives in its own dtype.
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
    /// Runs the linear layers' matrix products (the transformer layers' query, key, value, attention output and feed-forward,
    /// the embedding mapping, the pooler and the heads' dense layers: every <see cref="AlbertLinear"/>) of the training
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

    /// <summary>The dtype of this thread's open <see cref="TrainingProducts"/> scope, or null (the model's dtype).</summary>
    internal static ScalarType? TrainingProductDType => t_trainingProducts;

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
