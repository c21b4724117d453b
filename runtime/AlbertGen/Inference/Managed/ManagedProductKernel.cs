using AlbertGen.Inference.Kernels;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Managed;

/// <summary>
/// A managed product (<see cref="IManagedProduct"/>) as a layer's product kernel: float32 tensors in and out, the rows
/// spread over the cores by <see cref="ManagedProductRunner"/>. Owns the product.
/// </summary>
internal sealed unsafe class ManagedProductKernel : IProductKernel
{
    public ManagedProductKernel(IManagedProduct product)
    {
        ArgumentNullException.ThrowIfNull(product);
        Product = product;
    }

    /// <summary>The product this kernel drives (owned and disposed by the kernel; the fused layer borrows it).</summary>
    internal IManagedProduct Product { get; }

    public string Name => Product.Name;

    public ScalarType DType => ScalarType.Float32;

    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() == 0 || input.shape[^1] != Product.Inputs)
        {
            throw new ArgumentException($"The {Name} product takes inputs [..., {Product.Inputs}]; got [{string.Join(", ", input.shape)}].", nameof(input));
        }

        long[] shape = input.shape;
        long rows = input.numel() / Product.Inputs;
        if (rows > int.MaxValue / Math.Max(Product.Inputs, Product.Outputs))
        {
            throw new ArgumentException($"The {Name} product takes at most {int.MaxValue / Math.Max(Product.Inputs, Product.Outputs)} rows; got {rows}.", nameof(input));
        }

        shape[^1] = Product.Outputs;
        using Tensor contiguous = input.contiguous();
        Tensor output = empty(shape, ScalarType.Float32);
        try
        {
            float* x = TensorData.Float32(contiguous, $"the input of {Name}");
            float* y = TensorData.Float32(output, $"the output of {Name}");
            ManagedProductRunner.Run(Product, x, Product.Inputs, (int)rows, y, Product.Outputs);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    public void Dispose() => Product.Dispose();
}
