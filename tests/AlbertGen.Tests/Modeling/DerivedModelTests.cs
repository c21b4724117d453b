using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>Generated typed models derive from the runtime classes; derivation must not change names or behaviour.</summary>
public sealed class DerivedModelTests
{
    private static readonly AlbertConfig TinyConfig = AlbertConfigReader.ReadFile(SharedFolder.Model("tiny"));

    /// <summary>Shaped like the generator's output: a parameterless constructor passing a fixed config.</summary>
    private sealed class TypedMaskedLM : AlbertForMaskedLM
    {
        public TypedMaskedLM() : base(TinyConfig)
        {
        }
    }

    [Fact]
    public void A_derived_model_has_the_same_parameter_names_and_loads_the_checkpoint()
    {
        using var derived = AlbertPreTrainedModel<MaskedLMOutput>.FromPretrained(SharedFolder.Model("tiny"), _ => new TypedMaskedLM());
        using var plain = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny"));
        Assert.Equal(plain.named_parameters().Select(p => p.name), derived.named_parameters().Select(p => p.name));
        Assert.False(derived.training);

        using Tensor ids = tensor(new long[] { 2, 40, 41, 3 }).unsqueeze(0);
        using MaskedLMOutput a = derived.forward(new AlbertInputs { InputIds = ids });
        using MaskedLMOutput b = plain.forward(new AlbertInputs { InputIds = ids });
        TensorAssert.Close(b.Logits, a.Logits, "derived", atol: 0, rtol: 0);
    }
}
