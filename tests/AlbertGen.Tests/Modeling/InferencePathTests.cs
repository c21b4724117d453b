using AlbertGen.Checkpoints;
using AlbertGen.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>
/// The inference path (eval mode, gradients off: fused Q/K/V, in-place activation, early release) computes what the general
/// path computes, and never works from stale weights.
/// </summary>
[Collection(nameof(LiveTensorCount))]
public sealed class InferencePathTests
{
    private const string Query = "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight";

    private static AlbertInputs Inputs(Golden g) => new()
    {
        InputIds = g["input_ids"],
        AttentionMask = g.Get("attention_mask"),
        TokenTypeIds = g.Get("token_type_ids"),
    };

    /// <summary>Logits on the general path (eval, gradients on) and on the inference path.</summary>
    private static (Tensor General, Tensor Inference) BothPaths(AlbertForMaskedLM model, AlbertInputs inputs)
    {
        using MaskedLMOutput general = model.forward(inputs);
        using var inference = inference_mode();
        using MaskedLMOutput fast = model.forward(inputs);
        return (general.Logits.detach().clone(), fast.Logits.clone());
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("tiny-groups")]
    public void Inference_path_matches_the_golden_logits(string config)
    {
        using Golden g = Golden.Load(config, "batch_padded");
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model(config));
        using var inference = inference_mode();
        using MaskedLMOutput output = model.forward(Inputs(g));
        g.Check("AlbertForPreTraining.prediction_logits", output.Logits);
    }

    [Fact]
    public void Projection_weights_are_rows_of_one_tensor_and_still_checkpoint_parameters()
    {
        using var model = new AlbertForMaskedLM(TinyModels.Config());
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.Contains(Query, names);
        Assert.Contains(Query.Replace("query", "key", StringComparison.Ordinal), names);
        Assert.Contains(Query.Replace("query.weight", "value.bias", StringComparison.Ordinal), names);
        Assert.True(model.get_parameter(Query)!.requires_grad);
    }

    [Fact]
    public void Every_attention_block_stays_fused_through_construction_loading_and_conversion()
    {
        static void AssertFused(nn.Module model, string when) =>
            Assert.All(model.modules().OfType<AlbertAttention>(), a => Assert.True(a.HasFusedProjection, when));

        using var created = new AlbertForMaskedLM(TinyModels.Config(groups: 2, layers: 4, inner: 2));
        AssertFused(created, "after construction");
        created.to(ScalarType.BFloat16);
        AssertFused(created, "after to(bfloat16)");
        using AlbertModel loaded = AlbertModel.FromPretrained(SharedFolder.Model("tiny-groups"), new LoadOptions { DType = ScalarType.BFloat16 });
        AssertFused(loaded, "after loading in bfloat16");
    }

    [Fact]
    public void Weights_changed_in_place_reach_the_inference_path()
    {
        using Golden g = Golden.Load("tiny", "batch_padded");
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny"));
        _ = BothPaths(model, Inputs(g)); // the inference path has run once
        using (no_grad())
        {
            model.get_parameter(Query)!.mul_(1.5);
            model.get_parameter(Query.Replace("query.weight", "value.bias", StringComparison.Ordinal))!.add_(0.25);
        }

        (Tensor general, Tensor fast) = BothPaths(model, Inputs(g));
        using (general)
        using (fast)
        {
            TensorAssert.Close(general, fast, "logits after an in-place weight change");
        }
    }

    [Fact]
    public void Optimizer_steps_in_training_reach_the_inference_path()
    {
        using Golden g = Golden.Load("tiny-groups", "batch_padded");
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny-groups"));
        (Tensor before, Tensor beforeFast) = BothPaths(model, Inputs(g));
        using var optimizer = optim.SGD(model.parameters(), 0.5);
        model.train();
        for (int step = 0; step < 2; step++)
        {
            optimizer.zero_grad();
            using MaskedLMOutput output = model.forward(new AlbertInputs { InputIds = g["input_ids"], AttentionMask = g.Get("attention_mask"), Labels = g["labels.mlm"] });
            output.Loss!.backward();
            optimizer.step();
        }

        model.eval();
        (Tensor general, Tensor fast) = BothPaths(model, Inputs(g));
        using (before)
        using (beforeFast)
        using (general)
        using (fast)
        {
            Assert.True(general.sub(before).abs().max().item<float>() > 1e-3, "training changed nothing");
            TensorAssert.Close(general, fast, "logits after training");
        }
    }

    [Fact]
    public void Loading_other_weights_reaches_the_inference_path()
    {
        using Golden g = Golden.Load("tiny", "batch_padded");
        using var model = new AlbertForMaskedLM(AlbertConfigReader.ReadFile(SharedFolder.Model("tiny"))); // random weights
        model.eval();
        _ = BothPaths(model, Inputs(g));
        model.LoadWeights(SharedFolder.Model("tiny"));
        using var inference = inference_mode();
        using MaskedLMOutput output = model.forward(Inputs(g));
        g.Check("AlbertForPreTraining.prediction_logits", output.Logits);
    }

    [Fact]
    public void Dtype_round_trip_keeps_the_fusion_exact()
    {
        using Golden g = Golden.Load("tiny", "batch_padded");
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny"), new LoadOptions { DType = ScalarType.Float64 });
        model.to(ScalarType.Float32);
        using (no_grad())
        {
            model.get_parameter(Query)!.mul_(1.25); // must reach the fused weight rebuilt by the conversion
        }

        (Tensor general, Tensor fast) = BothPaths(model, Inputs(g));
        using (general)
        using (fast)
        {
            Assert.Equal(ScalarType.Float32, fast.dtype);
            TensorAssert.Close(general, fast, "logits after float64 → float32");
        }
    }

    [Fact]
    public void Missing_head_weights_get_HuggingFace_initialisation_when_loading()
    {
        using var seqcls = AlbertForSequenceClassification.FromPretrained(
            SharedFolder.Model("tiny"), new LoadOptions { InitializeMissingHeads = true });
        Parameter weight = seqcls.get_parameter("classifier.weight")!;
        Parameter bias = seqcls.get_parameter("classifier.bias")!;
        double std = weight.std().item<float>();
        Assert.InRange(std, seqcls.Config.InitializerRange * 0.5, seqcls.Config.InitializerRange * 1.5);
        Assert.Equal(0f, bias.abs().max().item<float>());
    }

    [Fact]
    public void Inference_calls_leave_no_tensor_behind()
    {
        using Golden g = Golden.Load("tiny-groups", "batch_padded");
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny-groups"));
        AlbertInputs inputs = Inputs(g);
        void Run(int times)
        {
            using var inference = inference_mode();
            for (int i = 0; i < times; i++)
            {
                using MaskedLMOutput output = model.forward(inputs);
            }
        }

        Run(3);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = Tensor.TotalCount;
        Run(100);
        Assert.Equal(before, Tensor.TotalCount);
    }
}
