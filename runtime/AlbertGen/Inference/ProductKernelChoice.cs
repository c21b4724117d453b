namespace AlbertGen.Inference;

/// <summary>Which kernel runs one matrix product of a compiled layer.</summary>
/// <param name="Group">The layer group (<c>albert_layer_groups.{Group}</c>).</param>
/// <param name="Layer">The layer in the group (<c>albert_layers.{Layer}</c>).</param>
/// <param name="Product">The product: <c>attention.qkv</c> (query, key and value fused), <c>attention.dense</c>, <c>ffn</c> or <c>ffn_output</c>.</param>
/// <param name="Outputs">The product's output features.</param>
/// <param name="Inputs">The product's input features.</param>
/// <param name="Kernel">The kernel's name, e.g. <c>onednn-packed-fp32</c> or <c>libtorch-bf16</c>.</param>
public sealed record ProductKernelChoice(int Group, int Layer, string Product, long Outputs, long Inputs, string Kernel)
{
    /// <summary>One line: <c>group 0 layer 0 ffn [3072×768] onednn-packed-fp32</c>.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => $"group {Group} layer {Layer} {Product} [{Outputs}×{Inputs}] {Kernel}";
}
