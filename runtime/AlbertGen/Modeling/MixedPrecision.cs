using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Linear layers of training passes with the matrix product in a lower precision and float32 master weights ("mixed
/// precision", as ALBERT itself was trained in bfloat16 on TPUs): the input, weight and bias are cast down for the product
/// and the result cast back, so activations, LayerNorms, softmax, the loss, gradients and optimiser state stay in the
/// model's dtype. Autograd differentiates through the casts, so each weight's gradient arrives in its own dtype.
/// </summary>
internal static class MixedPrecision
{
    /// <summary><paramref name="module"/> applied to <paramref name="input"/>, with the product in <paramref name="dtype"/> when it is set and differs.</summary>
    public static Tensor Linear(Linear module, Tensor input, ScalarType? dtype)
    {
        if (dtype is not { } low || low == input.dtype)
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
    public static ScalarType? CheckProductDType(ScalarType? value, string setting) =>
        value is { } dtype && dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float64)
            ? throw new ArgumentException($"{setting} must be a floating-point dtype (BFloat16, Float16, Float32, Float64), not {dtype}.", nameof(value))
            : value;

    /// <summary>Sets <see cref="AlbertTransformer.TrainingMatMulDType"/> on every encoder in <paramref name="model"/>.</summary>
    public static void SetTrainingProducts(nn.Module model, ScalarType? dtype)
    {
        CheckProductDType(dtype, "TrainingMatMulDType");
        foreach (AlbertTransformer encoder in model.modules().OfType<AlbertTransformer>())
        {
            encoder.TrainingMatMulDType = dtype;
        }
    }
}
