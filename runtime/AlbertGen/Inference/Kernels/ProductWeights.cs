using static TorchSharp.torch;

namespace AlbertGen.Inference.Kernels;

/// <summary>
/// What a kernel is made from: a weight <c>[N, K]</c> and bias <c>[N]</c>, either borrowed from the model (read, never
/// disposed by the kernel) or made for the session (owned: the kernel keeps or disposes them).
/// </summary>
/// <param name="Weight">The weight <c>[N, K]</c>.</param>
/// <param name="Bias">The bias <c>[N]</c>.</param>
/// <param name="Owned">Whether the tensors were made for the session (and the kernel is responsible for them).</param>
internal readonly record struct ProductWeights(Tensor Weight, Tensor Bias, bool Owned)
{
    /// <summary>Releases the tensors if they are owned.</summary>
    public void DisposeIfOwned()
    {
        if (Owned)
        {
            Weight.Dispose();
            Bias.Dispose();
        }
    }

    /// <summary>These weights in <paramref name="dtype"/>: themselves when they have it, otherwise owned converted copies (and these released).</summary>
    public ProductWeights To(ScalarType dtype)
    {
        if (Weight.dtype == dtype && Bias.dtype == dtype)
        {
            return this;
        }

        var converted = new ProductWeights(Weight.to(dtype).DetachFromDisposeScope(), Bias.to(dtype).DetachFromDisposeScope(), Owned: true);
        DisposeIfOwned();
        return converted;
    }
}
