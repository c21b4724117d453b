using AlbertGen.Checkpoints;
using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>The albert-base-v2-shaped anchor model matches HuggingFace on its 2×16 golden.</summary>
public sealed class AnchorParityTests
{
    [Fact]
    public void Anchor_model_matches_the_reference_last_hidden_state_and_pooler_output()
    {
        using SafetensorsFile file = SafetensorsFile.Open(Path.Combine(SharedFolder.Anchor, "golden_2x16.safetensors"));
        using var scope = NewDisposeScope();
        Tensor T(string name) => file.ReadTensor(name);

        using AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Anchor);
        using var inference = inference_mode();
        using AlbertModelOutput output = model.forward(new AlbertInputs
        {
            InputIds = T("input_ids"),
            AttentionMask = T("attention_mask"),
            TokenTypeIds = T("token_type_ids"),
        });

        ParityLog.Record("anchor", "last_hidden_state", TensorAssert.Close(T("last_hidden_state"), output.LastHiddenState, "anchor last_hidden_state"));
        ParityLog.Record("anchor", "pooler_output", TensorAssert.Close(T("pooler_output"), output.PoolerOutput!, "anchor pooler_output"));
    }
}
