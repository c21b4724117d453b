using AlbertGen.Checkpoints;
using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>
/// <see cref="AlbertPreTrainedModel{TOutput}.MatMulDType"/>: bfloat16 matrix products in a float32 model are closer to
/// float32 than the whole model in bfloat16, outputs stay float32, the low-precision copies never go stale, and every pass
/// that cannot use them (gradients on, attention maps) runs in float32 exactly.
/// </summary>
[Collection(nameof(LiveTensorCount))]
public sealed class MatMulDTypeTests
{
    private const string FfnWeight = "albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight";

    private static AlbertInputs AnchorInputs(SafetensorsFile golden) => new()
    {
        InputIds = golden.ReadTensor("input_ids"),
        AttentionMask = golden.ReadTensor("attention_mask"),
        TokenTypeIds = golden.ReadTensor("token_type_ids"),
    };

    /// <summary>The tiny fixture's masked-LM model, with bfloat16 products when <paramref name="matMulDType"/> says so.</summary>
    private static AlbertForMaskedLM TinyMaskedLM(ScalarType? matMulDType = null) =>
        AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny"), new LoadOptions { MatMulDType = matMulDType });

    private static float MaxAbsDiff(Tensor a, Tensor b)
    {
        using Tensor diff = a.to(ScalarType.Float32).sub(b.to(ScalarType.Float32)).abs().max();
        return diff.item<float>();
    }

    [Fact]
    public void Bfloat16_matmuls_stay_closer_to_the_reference_than_a_bfloat16_model()
    {
        using SafetensorsFile golden = SafetensorsFile.Open(Path.Combine(SharedFolder.Anchor, "golden_2x16.safetensors"));
        using var scope = NewDisposeScope();
        Tensor reference = golden.ReadTensor("last_hidden_state");
        AlbertInputs inputs = AnchorInputs(golden);
        using AlbertModel mixed = AlbertModel.FromPretrained(SharedFolder.Anchor, new LoadOptions { MatMulDType = ScalarType.BFloat16 });
        using AlbertModel whole = AlbertModel.FromPretrained(SharedFolder.Anchor, new LoadOptions { DType = ScalarType.BFloat16 });
        using var inference = inference_mode();
        using AlbertModelOutput mixedOutput = mixed.forward(inputs);
        using AlbertModelOutput wholeOutput = whole.forward(inputs);

        Assert.Equal(ScalarType.BFloat16, mixed.MatMulDType);
        Assert.Equal(ScalarType.Float32, mixed.DType);
        Assert.Equal(ScalarType.Float32, mixedOutput.LastHiddenState.dtype);
        Assert.Equal(ScalarType.Float32, mixedOutput.PoolerOutput!.dtype);
        float mixedError = MaxAbsDiff(mixedOutput.LastHiddenState, reference);
        float wholeError = MaxAbsDiff(wholeOutput.LastHiddenState, reference);
        Assert.True(mixedError > 1e-4, $"bfloat16 products should differ from float32 a little (max abs diff {mixedError})");
        Assert.True(mixedError < 0.6 * wholeError, $"matmuls-only {mixedError} vs whole model {wholeError}");
    }

    [Fact]
    public void Masked_lm_predictions_agree_with_float32_on_the_golden_inputs()
    {
        using Golden g = Golden.Load("tiny", "batch_padded");
        using AlbertForMaskedLM fp32 = TinyMaskedLM(), mixed = TinyMaskedLM(ScalarType.BFloat16);
        var inputs = new AlbertInputs { InputIds = g["input_ids"], AttentionMask = g.Get("attention_mask"), TokenTypeIds = g.Get("token_type_ids") };
        using var inference = inference_mode();
        using MaskedLMOutput a = fp32.forward(inputs);
        using MaskedLMOutput b = mixed.forward(inputs);
        using Tensor agree = a.Logits.argmax(-1).eq(b.Logits.argmax(-1));

        Assert.Equal(ScalarType.Float32, b.Logits.dtype);
        Assert.True(agree.all().item<bool>());
        Assert.True(MaxAbsDiff(a.Logits, b.Logits) < 0.2);
    }

    [Fact]
    public void Passes_that_cannot_use_low_precision_run_in_float32_exactly()
    {
        using Golden g = Golden.Load("tiny", "batch_padded");
        using AlbertForMaskedLM fp32 = TinyMaskedLM(), mixed = TinyMaskedLM(ScalarType.BFloat16);
        var inputs = new AlbertInputs { InputIds = g["input_ids"], AttentionMask = g.Get("attention_mask") };
        var withMaps = new AlbertInputs { InputIds = g["input_ids"], AttentionMask = g.Get("attention_mask"), OutputAttentions = true };

        using (MaskedLMOutput a = fp32.forward(inputs)) // gradients on
        using (MaskedLMOutput b = mixed.forward(inputs))
        {
            Assert.Equal(0f, MaxAbsDiff(a.Logits, b.Logits));
        }

        using var inference = inference_mode();
        using (MaskedLMOutput a = fp32.forward(withMaps))
        using (MaskedLMOutput b = mixed.forward(withMaps))
        {
            Assert.Equal(0f, MaxAbsDiff(a.Logits, b.Logits));
        }

        using (MaskedLMOutput a = fp32.forward(inputs))
        using (MaskedLMOutput b = mixed.forward(inputs))
        {
            Assert.NotEqual(0f, MaxAbsDiff(a.Logits, b.Logits)); // and the plain inference pass does use bfloat16
        }
    }

    [Fact]
    public void An_in_place_weight_change_is_seen_by_the_next_pass()
    {
        using Golden g = Golden.Load("tiny", "batch_padded");
        using AlbertForMaskedLM fp32 = TinyMaskedLM(), mixed = TinyMaskedLM(ScalarType.BFloat16);
        var inputs = new AlbertInputs { InputIds = g["input_ids"], AttentionMask = g.Get("attention_mask") };
        using var inference = inference_mode();
        using MaskedLMOutput before = mixed.forward(inputs);

        foreach (AlbertForMaskedLM model in new[] { fp32, mixed })
        {
            using (no_grad())
            {
                model.get_parameter(FfnWeight)!.mul_(3.0);
            }
        }

        using MaskedLMOutput after = mixed.forward(inputs);
        using MaskedLMOutput expected = fp32.forward(inputs);
        Assert.True(MaxAbsDiff(before.Logits, after.Logits) > 0.1, "the pass must use the changed weights");
        Assert.True(MaxAbsDiff(expected.Logits, after.Logits) < 0.2);
    }

    [Fact]
    public void A_pass_leaves_no_tensor_behind()
    {
        using AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Model("tiny-groups"), new LoadOptions { MatMulDType = ScalarType.BFloat16 });
        using var inference = inference_mode();
        using Tensor ids = tensor(new long[,] { { 2, 10, 11, 12, 3 } });
        using (model.forward(new AlbertInputs { InputIds = ids }))
        {
        }

        long before = Tensor.TotalCount;
        using (AlbertModelOutput output = model.forward(new AlbertInputs { InputIds = ids, OutputHiddenStates = true }))
        {
            Assert.Equal(5, output.HiddenStates!.Count);
            Assert.All(output.HiddenStates, h => Assert.Equal(ScalarType.Float32, h.dtype));
        }

        Assert.Equal(before, Tensor.TotalCount);
    }

    [Fact]
    public void A_non_floating_dtype_is_refused_and_null_turns_it_off()
    {
        using var model = new AlbertModel(TinyModels.Config());
        var e = Assert.Throws<ArgumentException>(() => model.MatMulDType = ScalarType.Int64);
        Assert.Contains("MatMulDType", e.Message, StringComparison.Ordinal);
        Assert.Null(model.MatMulDType);
        model.MatMulDType = ScalarType.BFloat16;
        model.MatMulDType = null;
        Assert.Null(model.MatMulDType);
    }
}
