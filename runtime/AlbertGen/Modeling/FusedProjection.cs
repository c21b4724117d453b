using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// The query, key and value projections of one attention block as one <c>[3·A, H]</c> weight and one <c>[3·A]</c> bias, whose
/// row blocks <em>are</em> the three <see cref="Linear"/> modules' parameters (same storage): loading, saving, optimisers and
/// autograd keep working on <c>query.weight</c>, <c>key.weight</c>, <c>value.weight</c> and their biases, and whatever changes
/// them in place changes the fused tensors too. Inference then needs one matrix product instead of three, with no copy of the
/// weights and no cache to invalidate.
/// </summary>
/// <remarks>
/// Thread safety: the fused tensors are created when the module is built or converted (<c>to(dtype/device)</c>) and only read
/// by <c>forward</c>, so concurrent inference calls are as safe as TorchSharp's own modules. Converting a module while another
/// thread runs it is not supported (it is not for any TorchSharp module either).
/// </remarks>
internal sealed class FusedProjection : IDisposable
{
    private readonly Parameter _queryWeight, _keyWeight, _valueWeight;
    private readonly Parameter _queryBias, _keyBias, _valueBias;

    private FusedProjection(Tensor weight, Tensor bias, Parameter[] parameters)
    {
        Weight = weight;
        Bias = bias;
        (_queryWeight, _keyWeight, _valueWeight) = (parameters[0], parameters[1], parameters[2]);
        (_queryBias, _keyBias, _valueBias) = (parameters[3], parameters[4], parameters[5]);
    }

    /// <summary>Query, key and value weights stacked: <c>[3·A, H]</c>.</summary>
    public Tensor Weight { get; }

    /// <summary>Query, key and value biases stacked: <c>[3·A]</c>.</summary>
    public Tensor Bias { get; }

    /// <summary>
    /// Stacks the three projections' parameters into fused tensors and gives each module, as its new parameters, views of its
    /// rows (the old parameter tensors are released). Returns null when a projection has no bias.
    /// </summary>
    public static FusedProjection? Tie(Linear query, Linear key, Linear value)
    {
        Linear[] modules = [query, key, value];
        if (modules.Any(m => m.weight is null || m.bias is null))
        {
            return null;
        }

        using var noGrad = no_grad();
        Tensor weight = cat(modules.Select(m => (Tensor)m.weight!).ToArray(), 0).DetachFromDisposeScope();
        Tensor bias = cat(modules.Select(m => (Tensor)m.bias!).ToArray(), 0).DetachFromDisposeScope();
        var parameters = new Parameter[6];
        long offset = 0;
        for (int i = 0; i < 3; i++)
        {
            Linear m = modules[i];
            long rows = m.weight!.shape[0];
            Parameter oldWeight = m.weight!, oldBias = m.bias!;
            parameters[i] = RowsOf(weight, offset, rows, oldWeight.requires_grad);
            parameters[3 + i] = RowsOf(bias, offset, rows, oldBias.requires_grad);
            m.weight = parameters[i];
            m.bias = parameters[3 + i];
            oldWeight.Dispose();
            oldBias.Dispose();
            offset += rows;
        }

        return new FusedProjection(weight, bias, parameters);
    }

    /// <summary>Whether the modules still hold the parameters this fusion gave them (a conversion or assignment replaces them).</summary>
    public bool IsTiedTo(Linear query, Linear key, Linear value) =>
        ReferenceEquals(query.weight, _queryWeight) && ReferenceEquals(key.weight, _keyWeight) && ReferenceEquals(value.weight, _valueWeight)
        && ReferenceEquals(query.bias, _queryBias) && ReferenceEquals(key.bias, _keyBias) && ReferenceEquals(value.bias, _valueBias);

    /// <summary>A parameter over rows <c>[start, start + count)</c> of <paramref name="fused"/>, sharing its storage.</summary>
    private static Parameter RowsOf(Tensor fused, long start, long count, bool requiresGrad)
    {
        // detach(): a fresh tensor over the same storage, not an autograd view of the fused tensor, so the parameter is an
        // ordinary leaf (as torch.nn.Parameter makes it).
        using Tensor rows = fused.narrow(0, start, count);
        var parameter = new Parameter(rows.detach(), requiresGrad);
        parameter.DetachFromDisposeScope();
        return parameter;
    }

    /// <summary>Releases the fused tensors (the parameters belong to their modules).</summary>
    public void Dispose()
    {
        Weight.Dispose();
        Bias.Dispose();
    }
}
