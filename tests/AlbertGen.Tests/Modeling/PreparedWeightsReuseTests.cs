using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>
/// Inference passes keep the encoder's prepared (packed) weights from pass to pass, and prepare them again as soon as a
/// parameter changes, so a kept preparation never gives a stale answer.
/// </summary>
[Collection(nameof(LiveTensorCount))]
public sealed class PreparedWeightsReuseTests
{
    private const string FfnWeight = "encoder.albert_layer_groups.0.albert_layers.0.ffn.weight";
    private const string QueryBias = "encoder.albert_layer_groups.0.albert_layers.0.attention.query.bias";

    /// <summary>A randomly initialised model wide enough for its weights to be packed for oneDNN.</summary>
    private static AlbertModel PackedModel()
    {
        AlbertConfig config = TinyModels.Config(hidden: AlbertTransformer.PackingMinimumHiddenSize, heads: 8, intermediate: 1024);
        manual_seed(11);
        var model = new AlbertModel(config);
        model.eval();
        return model;
    }

    private static AlbertInputs Inputs()
    {
        manual_seed(3);
        return new AlbertInputs { InputIds = randint(5, 50, [2, 9], dtype: ScalarType.Int64) };
    }

    /// <summary>The last hidden state on the general path (gradients on) and on the inference path.</summary>
    private static (Tensor General, Tensor Inference) BothPaths(AlbertModel model, AlbertInputs inputs)
    {
        using AlbertModelOutput general = model.forward(inputs);
        using var inference = inference_mode();
        using AlbertModelOutput fast = model.forward(inputs);
        return (general.LastHiddenState.detach().clone(), fast.LastHiddenState.clone());
    }

    private static void AssertSamePaths(AlbertModel model, AlbertInputs inputs, string when)
    {
        (Tensor general, Tensor fast) = BothPaths(model, inputs);
        using (general)
        using (fast)
        {
            TensorAssert.Close(general, fast, when);
        }
    }

    [Fact]
    public void Passes_share_one_preparation_until_a_parameter_changes_in_place()
    {
        using AlbertModel model = PackedModel();
        AlbertInputs inputs = Inputs();
        AssertSamePaths(model, inputs, "first pass");
        AssertSamePaths(model, inputs, "second pass");
        Assert.Equal(1, model.Encoder.Preparations);

        using (no_grad())
        {
            model.get_parameter(FfnWeight)!.mul_(2.0);
        }

        AssertSamePaths(model, inputs, "after ffn.weight *= 2");
        Assert.Equal(2, model.Encoder.Preparations);

        using (no_grad())
        {
            model.get_parameter(QueryBias)!.add_(0.5); // a row block of the fused Q/K/V bias
        }

        AssertSamePaths(model, inputs, "after query.bias += 0.5");
        Assert.Equal(3, model.Encoder.Preparations);
    }

    [Fact]
    public void Switching_the_product_dtype_prepares_again_and_back()
    {
        using AlbertModel model = PackedModel();
        AlbertInputs inputs = Inputs();
        using var inference = inference_mode();
        using Tensor fp32 = model.forward(inputs).LastHiddenState.clone();
        model.MatMulDType = ScalarType.BFloat16;
        using Tensor bf16 = model.forward(inputs).LastHiddenState.clone();
        model.MatMulDType = null;
        using Tensor again = model.forward(inputs).LastHiddenState.clone();
        Assert.True(fp32.sub(bf16).abs().max().item<float>() > 0, "the bfloat16 pass used the float32 preparation");
        Assert.Equal(0f, fp32.sub(again).abs().max().item<float>());
        Assert.Equal(3, model.Encoder.Preparations);
    }

    [Fact]
    public void A_model_made_under_inference_mode_prepares_every_pass_and_stays_exact()
    {
        // Its parameters are inference tensors, which have no version counter to tell a change.
        AlbertModel model;
        using (inference_mode())
        {
            model = PackedModel();
        }

        using (model)
        {
            AlbertInputs inputs = Inputs();
            using var inference = inference_mode();
            using Tensor before = model.forward(inputs).LastHiddenState.clone();
            model.get_parameter(FfnWeight)!.mul_(2.0);
            using Tensor after = model.forward(inputs).LastHiddenState.clone();
            Assert.True(before.sub(after).abs().max().item<float>() > 1e-3, "the change was not seen");
            Assert.Equal(2, model.Encoder.Preparations);
        }
    }

    [Fact]
    public void Kept_weights_are_released_with_the_model()
    {
        AlbertInputs inputs = Inputs();
        AlbertModel model = PackedModel();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long beforePass = Tensor.TotalCount;
        using (var inference = inference_mode())
        using (model.forward(inputs))
        {
        }

        Assert.True(Tensor.TotalCount > beforePass, "the pass kept nothing");
        model.Dispose();
        Assert.True(Tensor.TotalCount <= beforePass, $"{Tensor.TotalCount - beforePass} tensors outlived the model");
    }

    [Fact]
    public void Training_mode_gives_up_the_kept_weights_and_evaluation_prepares_them_again()
    {
        using AlbertModel model = PackedModel();
        AlbertInputs inputs = Inputs();
        using (var inference = inference_mode())
        using (model.forward(inputs))
        {
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        long kept = Tensor.TotalCount;
        model.train(); // through the parent, as user code does it
        Assert.True(Tensor.TotalCount < kept, "training mode kept the inference preparation");
        model.eval();
        AssertSamePaths(model, inputs, "after train() and eval()");
        Assert.Equal(2, model.Encoder.Preparations);
    }
}
