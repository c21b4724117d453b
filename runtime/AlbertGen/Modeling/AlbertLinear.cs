using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// The model's linear layer <c>x·weightᵀ + bias</c> (PyTorch's <c>nn.Linear</c>, parameters <c>weight</c> <c>[out, in]</c>
/// and <c>bias</c> <c>[out]</c>). It is ours rather than TorchSharp's <c>Linear</c>, which is sealed, so that a training
/// pass inside a <see cref="MixedPrecision.TrainingProducts"/> scope can run the product in the scope's dtype while the
/// model keeps no precision mode: the caller of every layer just calls <see cref="forward"/>.
/// </summary>
/// <remarks>
/// A layer whose weights are about to be loaded (<see cref="AlbertPreTrainedModel{TOutput}.FromPretrained{TModel}"/>) is
/// built without TorchSharp's random initialisation, as HuggingFace's <c>from_pretrained</c> does (the constructors'
/// <c>random</c> argument, passed down explicitly). Weights left uninitialised are all either loaded or given HuggingFace's
/// initialisation afterwards (parameters the checkpoint lacks), so no uninitialised memory is ever read.
/// </remarks>
internal sealed class AlbertLinear : nn.Module<Tensor, Tensor>
{
    // Fields, not properties, named as the checkpoint names them (and as TorchSharp's Linear names its accessors, which the
    // inference compiler reads): Module.to(dtype/device) replaces parameter objects and assigns the field of the same name.
#pragma warning disable IDE1006, IDE0044 // checkpoint names; not readonly: TorchSharp's Module.to assigns them through reflection

    /// <summary>The weight <c>[out, in]</c>.</summary>
    internal Parameter weight;

    /// <summary>The bias <c>[out]</c>.</summary>
    internal Parameter bias;
#pragma warning restore IDE1006, IDE0044

    /// <summary>A layer <c>inputs → outputs</c>; uninitialised (to be loaded) when <paramref name="random"/> is false.</summary>
    public AlbertLinear(long inputs, long outputs, bool random) : base(nameof(AlbertLinear))
    {
        // Parameters belong to the module, not to a dispose scope the model may be built in.
        weight = (Parameter)new Parameter(empty(outputs, inputs)).DetachFromDisposeScope();
        bias = (Parameter)new Parameter(empty(outputs)).DetachFromDisposeScope();
        if (random)
        {
            // TorchSharp's (and PyTorch's) nn.Linear initialisation, drawing the same numbers in the same order.
            using var noGrad = no_grad();
            using var scope = NewDisposeScope(); // in-place initialisers return handles of their own
            nn.init.kaiming_uniform_(weight, a: Math.Sqrt(5));
            nn.init.uniform_(bias, -1 / Math.Sqrt(inputs), 1 / Math.Sqrt(inputs));
        }

        RegisterComponents();
    }

    /// <summary>
    /// <c>input·weightᵀ + bias</c>; in a training pass (train mode) inside a <see cref="MixedPrecision.TrainingProducts"/>
    /// scope, with input, weight and bias cast to the scope's dtype for the product and the result cast back, so autograd
    /// returns each parameter's gradient in its own dtype.
    /// </summary>
    public override Tensor forward(Tensor input)
    {
        if (!training || MixedPrecision.TrainingProductDType is not { } low || low == input.dtype)
        {
            return nn.functional.linear(input, weight, bias);
        }

        using Tensor x = input.to(low);
        using Tensor lowWeight = weight.to(low);
        using Tensor lowBias = bias.to(low);
        using Tensor product = nn.functional.linear(x, lowWeight, lowBias);
        return product.to(input.dtype);
    }
}
