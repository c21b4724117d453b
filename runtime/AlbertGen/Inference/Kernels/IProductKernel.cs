using static TorchSharp.torch;

namespace AlbertGen.Inference.Kernels;

/// <summary>
/// One matrix product of a compiled layer, <c>activation(input · Wᵀ + b)</c>, as one kernel runs it: the weights it
/// holds (converted, fused or laid out for that kernel) and the call. Kernels are made by <see cref="ProductKernels.Create"/>
/// when a session is compiled, are immutable afterwards, and may be called from many threads at once.
/// </summary>
internal interface IProductKernel : IDisposable
{
    /// <summary>Short name shown by sessions and <c>albertgen info</c>, e.g. <c>onednn-packed-fp32</c>.</summary>
    string Name { get; }

    /// <summary>The dtype the product runs in (the input must have it; the output has it).</summary>
    ScalarType DType { get; }

    /// <summary><c>activation(input · Wᵀ + b)</c> for <paramref name="input"/> <c>[…, K]</c>: a new tensor <c>[…, N]</c>.</summary>
    /// <param name="input">The input in <see cref="DType"/>.</param>
    /// <returns>The product, activated when the kernel was made with an activation.</returns>
    Tensor Forward(Tensor input);
}
