using Xunit.Abstractions;
using AlbertGen.Inference;
using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>
/// Every output of every head in every golden case of both fixture configs matches HuggingFace: through the plain model
/// and through inference sessions on each product kernel this machine can run (a kernel it cannot run is reported in the
/// test output and not run).
/// </summary>
public sealed class GoldenParityTests(ITestOutputHelper log)
{
    /// <summary>
    /// How a case is run: the plain model's forward, a session on one forced kernel (<c>/avx2</c>: choosing as an
    /// AVX2-only CPU does, so the managed AVX2 kernels run on AVX-512 machines too), or a session on the fused managed layers.
    /// </summary>
    public static readonly string[] Paths =
        ["plain", nameof(ProductKernel.Libtorch), nameof(ProductKernel.OneDnnPacked), nameof(ProductKernel.Managed), nameof(ProductKernel.Managed) + "/avx2", Fused];

    private const string Fused = "FusedLayers";

    /// <summary>Runs <paramref name="model"/> on <paramref name="inputs"/> along <paramref name="path"/>; null when this CPU cannot run that path.</summary>
    private TOutput? Run<TOutput>(AlbertPreTrainedModel<TOutput> model, AlbertInputs inputs, string path)
        where TOutput : AlbertOutput
    {
        if (path == "plain")
        {
            return model.forward(inputs);
        }

        ProductKernel? kernel = path == Fused ? null : Enum.Parse<ProductKernel>(path.Split('/')[0]);
        CpuFeatures cpu = path.EndsWith("/avx2", StringComparison.Ordinal) ? CpuFeatures.Current.Restrict(["avx2", "fma"]) : CpuFeatures.Current;
        InferenceSession<TOutput> session;
        try
        {
            session = model.CompileForInference(kernel is null ? new InferenceOptions { FusedLayers = true } : new InferenceOptions { Kernel = kernel, Cpu = cpu });
        }
        catch (PlatformNotSupportedException e)
        {
            log.WriteLine($"SKIPPED for this CPU: {e.Message}");
            return null;
        }

        using (session)
        {
            if (kernel is null)
            {
                Assert.StartsWith("fused-managed-", session.FusedLayers, StringComparison.Ordinal);
                Assert.EndsWith("for every call", session.FusedLayers, StringComparison.Ordinal);
            }
            else
            {
                string expected = kernel switch
                {
                    ProductKernel.Libtorch => "libtorch-fp32",
                    ProductKernel.OneDnnPacked => "onednn-packed-fp32",
                    _ => path.EndsWith("/avx2", StringComparison.Ordinal) ? "managed-avx2-fp32" : AlbertGen.Inference.Managed.ManagedProducts.Name(AlbertGen.Inference.Managed.ManagedProducts.BestIsa(cpu)!.Value, AlbertGen.Inference.Managed.ManagedWeightStorage.Float32),
                };
                Assert.Null(session.FusedLayers);
                Assert.All(session.Products, p => Assert.Equal(expected, p.Kernel));
            }

            return session.Run(inputs);
        }
    }

    public static TheoryData<string, string, string> AllCases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (string config in new[] { "tiny", "tiny-groups" })
        {
            foreach (string name in new[] { "batch_padded", "no_mask", "single_token", "head_mask" })
            {
                foreach (string path in Paths)
                {
                    data.Add(config, name, path);
                }
            }
        }

        return data;
    }

    public static TheoryData<string, string, string> HeadCases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (string config in new[] { "tiny", "tiny-groups" })
        {
            foreach (string name in new[] { "batch_padded", "no_mask", "single_token" })
            {
                foreach (string path in Paths)
                {
                    data.Add(config, name, path);
                }
            }
        }

        return data;
    }

    private static AlbertInputs Inputs(Golden g, bool outputs = false, Tensor? labels = null) => new()
    {
        InputIds = g["input_ids"],
        AttentionMask = g.Get("attention_mask"),
        TokenTypeIds = g.Get("token_type_ids"),
        HeadMask = g.Get("head_mask"),
        Labels = labels,
        OutputHiddenStates = outputs,
        OutputAttentions = outputs,
    };

    private static string Dir(string config, string? head = null) =>
        head is null ? SharedFolder.Model(config) : Path.Combine(SharedFolder.Model(config), "heads", head);

    [Theory]
    [MemberData(nameof(AllCases))]
    public void AlbertModel_matches_last_hidden_state_pooler_hidden_states_and_attentions(string config, string name, string path)
    {
        using Golden g = Golden.Load(config, name);
        using AlbertModel model = AlbertModel.FromPretrained(Dir(config));
        using AlbertModelOutput? output = Run(model, Inputs(g, outputs: true), path);
        if (output is null)
        {
            return;
        }

        g.Check("AlbertModel.last_hidden_state", output.LastHiddenState);
        g.Check("AlbertModel.pooler_output", output.PoolerOutput!);
        Assert.Equal(model.Config.NumHiddenLayers * model.Config.InnerGroupNum, output.Attentions!.Count);
        Assert.Equal(g.Count("AlbertModel.attentions."), output.Attentions.Count);
        for (int k = 0; k < output.Attentions.Count; k++)
        {
            g.Check($"AlbertModel.attentions.{k}", output.Attentions[k]);
        }

        Assert.Equal(model.Config.NumHiddenLayers + 1, output.HiddenStates!.Count);
        int goldenHidden = g.Count("AlbertModel.hidden_states.");
        for (int k = 0; k < goldenHidden; k++)
        {
            g.Check($"AlbertModel.hidden_states.{k}", output.HiddenStates[k]);
        }
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void AlbertModel_matches_without_optional_outputs_on_the_fused_attention_path(string config, string name, string path)
    {
        using Golden g = Golden.Load(config, name);
        using AlbertModel model = AlbertModel.FromPretrained(Dir(config));
        using var inference = inference_mode();
        using AlbertModelOutput? output = Run(model, Inputs(g), path);
        if (output is null)
        {
            return;
        }

        Assert.Null(output.HiddenStates);
        Assert.Null(output.Attentions);
        g.Check("AlbertModel.last_hidden_state", output.LastHiddenState);
        g.Check("AlbertModel.pooler_output", output.PoolerOutput!);
    }

    [Theory]
    [MemberData(nameof(HeadCases))]
    public void AlbertForPreTraining_matches_logits_and_summed_loss(string config, string name, string path)
    {
        using Golden g = Golden.Load(config, name);
        using AlbertForPreTraining model = AlbertForPreTraining.FromPretrained(Dir(config));
        var inputs = new AlbertInputs
        {
            InputIds = g["input_ids"],
            AttentionMask = g.Get("attention_mask"),
            TokenTypeIds = g.Get("token_type_ids"),
            Labels = g["labels.mlm"],
            SentenceOrderLabel = g["labels.sentence_order"],
        };
        using AlbertForPreTrainingOutput? output = Run(model, inputs, path);
        if (output is null)
        {
            return;
        }

        g.Check("AlbertForPreTraining.prediction_logits", output.PredictionLogits);
        g.Check("AlbertForPreTraining.sop_logits", output.SopLogits);
        g.Check("AlbertForPreTraining.loss", output.Loss!);
    }

    [Theory]
    [MemberData(nameof(HeadCases))]
    public void AlbertForMaskedLM_matches_logits_and_loss(string config, string name, string path)
    {
        using Golden g = Golden.Load(config, name);
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(Dir(config));
        using MaskedLMOutput? output = Run(model, Inputs(g, labels: g["labels.mlm"]), path);
        if (output is null)
        {
            return;
        }

        g.Check("AlbertForPreTraining.prediction_logits", output.Logits);
        g.Check("AlbertForMaskedLM.loss", output.Loss!);
    }

    [Theory]
    [MemberData(nameof(HeadCases))]
    public void AlbertForSequenceClassification_matches_single_label_regression_and_multi_label(string config, string name, string path)
    {
        using Golden g = Golden.Load(config, name);
        foreach ((string head, string key) in new[] { ("seqcls-single3", "single3"), ("seqcls-regression1", "regression1"), ("seqcls-multilabel4", "multilabel4") })
        {
            using AlbertForSequenceClassification model = AlbertForSequenceClassification.FromPretrained(Dir(config, head));
            using SequenceClassifierOutput? output = Run(model, Inputs(g, labels: g[$"labels.{key}"]), path);
            if (output is null)
            {
                return;
            }
            g.Check($"AlbertForSequenceClassification.{key}.logits", output.Logits);
            g.Check($"AlbertForSequenceClassification.{key}.loss", output.Loss!);
        }
    }

    [Theory]
    [MemberData(nameof(HeadCases))]
    public void AlbertForTokenClassification_matches_logits_and_masked_loss(string config, string name, string path)
    {
        using Golden g = Golden.Load(config, name);
        using AlbertForTokenClassification model = AlbertForTokenClassification.FromPretrained(Dir(config, "tokcls5"));
        using TokenClassifierOutput? output = Run(model, Inputs(g, labels: g["labels.token5"]), path);
        if (output is null)
        {
            return;
        }

        g.Check("AlbertForTokenClassification.logits", output.Logits);
        g.Check("AlbertForTokenClassification.loss", output.Loss!);
    }

    [Theory]
    [MemberData(nameof(HeadCases))]
    public void AlbertForQuestionAnswering_matches_start_end_logits_and_clamped_loss(string config, string name, string path)
    {
        using Golden g = Golden.Load(config, name);
        using AlbertForQuestionAnswering model = AlbertForQuestionAnswering.FromPretrained(Dir(config, "qa"));
        var inputs = new AlbertInputs
        {
            InputIds = g["input_ids"],
            AttentionMask = g.Get("attention_mask"),
            TokenTypeIds = g.Get("token_type_ids"),
            StartPositions = g["labels.start_positions"],
            EndPositions = g["labels.end_positions"],
        };
        using QuestionAnsweringOutput? output = Run(model, inputs, path);
        if (output is null)
        {
            return;
        }

        g.Check("AlbertForQuestionAnswering.start_logits", output.StartLogits);
        g.Check("AlbertForQuestionAnswering.end_logits", output.EndLogits);
        g.Check("AlbertForQuestionAnswering.loss", output.Loss!);
    }

    [Theory]
    [MemberData(nameof(HeadCases))]
    public void AlbertForMultipleChoice_matches_logits_and_loss(string config, string name, string path)
    {
        using Golden g = Golden.Load(config, name);
        using AlbertForMultipleChoice model = AlbertForMultipleChoice.FromPretrained(Dir(config, "multiplechoice"));
        var inputs = new AlbertInputs
        {
            InputIds = g["mc.input_ids"],
            AttentionMask = g.Get("mc.attention_mask"),
            TokenTypeIds = g.Get("mc.token_type_ids"),
            Labels = g["mc.labels"],
        };
        using MultipleChoiceOutput? output = Run(model, inputs, path);
        if (output is null)
        {
            return;
        }

        g.Check("AlbertForMultipleChoice.logits", output.Logits);
        g.Check("AlbertForMultipleChoice.loss", output.Loss!);
    }
}
