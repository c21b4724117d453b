using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// One linear layer's weight and bias made ready for inference: converted to the pass's compute dtype when that
/// differs, and on the CPU laid out for oneDNN (<see cref="OneDnnLinear"/>). Disposes only what it made.
/// </summary>
internal sealed class PreparedLinear : IDisposable
{
    private readonly Tensor _weight;
    private readonly Tensor _bias;
    private readonly Tensor? _packed;
    private readonly bool _ownsWeights;

    private PreparedLinear(Tensor weight, Tensor bias, Tensor? packed, bool ownsWeights)
    {
        _weight = weight;
        _bias = bias;
        _packed = packed;
        _ownsWeights = ownsWeights;
    }

    /// <summary>The dtype the product runs in.</summary>
    public ScalarType DType => _weight.dtype;

    /// <summary>
    /// Prepares <paramref name="weight"/> and <paramref name="bias"/> for products in <paramref name="dtype"/>, laid out for
    /// oneDNN when <paramref name="pack"/> is true and oneDNN can take them.
    /// </summary>
    public static PreparedLinear Create(Tensor weight, Tensor bias, ScalarType dtype, bool pack = true)
    {
        // What is made here outlives the pass (the encoder keeps it in a VersionedCache), so it belongs to no dispose scope.
        if (weight.dtype != dtype)
        {
            Tensor converted = weight.to(dtype).DetachFromDisposeScope();
            return new PreparedLinear(converted, bias.to(dtype).DetachFromDisposeScope(), pack ? PackOutsideScopes(converted) : null, ownsWeights: true);
        }

        return new PreparedLinear(weight, bias, pack ? PackOutsideScopes(weight) : null, ownsWeights: false);
    }

    private static Tensor? PackOutsideScopes(Tensor weight) => OneDnnLinear.Pack(weight)?.DetachFromDisposeScope();

    /// <summary><c>activation(input · weightᵀ + bias)</c>; the activation is fused into the product where oneDNN can.</summary>
    public Tensor Forward(Tensor input, AlbertActivation? activation = null)
    {
        if (_packed is not null)
        {
            bool fuse = activation is { } a && OneDnnLinear.CanFuse(a);
            if (OneDnnLinear.Forward(input, _packed, _bias, fuse ? activation : null) is { } product)
            {
                if (!fuse && activation is { } unfused)
                {
                    Activations.ApplyInPlace(unfused, product);
                }

                return product;
            }
        }

        Tensor result = nn.functional.linear(input, _weight, _bias);
        if (activation is { } act)
        {
            Activations.ApplyInPlace(act, result);
        }

        return result;
    }

    public void Dispose()
    {
        _packed?.Dispose();
        if (_ownsWeights)
        {
            _weight.Dispose();
            _bias.Dispose();
        }
    }
}
