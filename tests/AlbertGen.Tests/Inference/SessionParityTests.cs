using Xunit.Abstractions;
using AlbertGen.Checkpoints;
using AlbertGen.Inference;
using AlbertGen.Modeling;
using AlbertGen.Tests.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Inference;

/// <summary>
/// An inference session computes what the plain model computes: within 1e-5 in float32 on every head and every kernel this
/// CPU can run, close to float32 with bfloat16 products, and the automatic choice follows the CPU's features.
/// </summary>
[Collection(nameof(LiveTensorCount))]
public sealed class SessionParityTests(ITestOutputHelper log)
{
    private static AlbertInputs Inputs(Golden g) => new()
    {
        InputIds = g["input_ids"],
        AttentionMask = g.Get("attention_mask"),
        TokenTypeIds = g.Get("token_type_ids"),
    };

    private static float MaxAbsDiff(Tensor a, Tensor b)
    {
        using Tensor diff = a.to(ScalarType.Float32).sub(b.to(ScalarType.Float32)).abs().max();
        return diff.item<float>();
    }

    /// <summary>The plain model's output and the session's, as detached copies.</summary>
    private static (Tensor Plain, Tensor Session) Both<TOutput>(AlbertPreTrainedModel<TOutput> model, InferenceOptions? options, AlbertInputs inputs, Func<TOutput, Tensor> pick)
        where TOutput : AlbertOutput
    {
        Tensor plain;
        using (inference_mode())
        using (TOutput output = model.forward(inputs))
        {
            plain = pick(output).clone();
        }

        using InferenceSession<TOutput> session = model.CompileForInference(options);
        using TOutput fast = session.Run(inputs);
        return (plain, pick(fast).clone());
    }

    [Theory]
    [InlineData("fp32-libtorch")]
    [InlineData("fp32-onednn")]
    [InlineData("fp32-managed")]
    [InlineData("fp32-managed-avx2")]
    [InlineData("fp32-fused")]
    public void Every_head_matches_the_plain_model_within_1e_5(string path)
    {
        (InferenceOptions? options, string? skip) = KernelPaths.Options(path);
        if (skip is not null)
        {
            log.WriteLine($"SKIPPED {path}: {skip}");
            return;
        }

        using Golden g = Golden.Load("tiny-groups", "batch_padded");
        string dir = SharedFolder.Model("tiny-groups");
        AlbertInputs inputs = Inputs(g);
        using var scope = NewDisposeScope();
        var checks = new List<(string Head, Tensor Plain, Tensor Session)>();
        void Check<TOutput>(string head, AlbertPreTrainedModel<TOutput> model, Func<TOutput, Tensor> pick)
            where TOutput : AlbertOutput
        {
            using (model)
            {
                (Tensor plain, Tensor session) = Both(model, options, inputs, pick);
                checks.Add((head, plain, session));
            }
        }

        Check("AlbertModel", AlbertModel.FromPretrained(dir), o => o.LastHiddenState);
        Check("AlbertModel.pooler", AlbertModel.FromPretrained(dir), o => o.PoolerOutput!);
        Check("AlbertForPreTraining", AlbertForPreTraining.FromPretrained(dir), o => o.PredictionLogits);
        Check("AlbertForMaskedLM", AlbertForMaskedLM.FromPretrained(dir), o => o.Logits);
        Check("AlbertForSequenceClassification", AlbertForSequenceClassification.FromPretrained(Path.Combine(dir, "heads", "seqcls-single3")), o => o.Logits);
        Check("AlbertForTokenClassification", AlbertForTokenClassification.FromPretrained(Path.Combine(dir, "heads", "tokcls5")), o => o.Logits);
        Check("AlbertForQuestionAnswering", AlbertForQuestionAnswering.FromPretrained(Path.Combine(dir, "heads", "qa")), o => o.StartLogits);
        foreach ((string head, Tensor plain, Tensor session) in checks)
        {
            float diff = MaxAbsDiff(plain, session);
            log.WriteLine($"{path} {head}: max abs diff {diff:E2}");
            Assert.True(diff <= 1e-5, $"{head} on {path}: max abs diff {diff}");
        }
    }

    [Theory]
    [InlineData("fp32-libtorch")]
    [InlineData("fp32-onednn")]
    [InlineData("fp32-managed")]
    [InlineData("fp32-managed-avx2")]
    [InlineData("fp32-fused")]
    public void An_albert_base_sized_model_matches_the_plain_model_within_1e_5(string path)
    {
        (InferenceOptions? options, string? skip) = KernelPaths.Options(path);
        if (skip is not null)
        {
            log.WriteLine($"SKIPPED {path}: {skip}");
            return;
        }

        using AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Anchor);
        using Tensor ids = randint(5, model.Config.VocabSize, [2, 24], dtype: ScalarType.Int64, generator: new TorchSharp.torch.Generator(7));
        (Tensor plain, Tensor session) = Both(model, options, new AlbertInputs { InputIds = ids }, o => o.LastHiddenState);
        using (plain)
        using (session)
        {
            float diff = MaxAbsDiff(plain, session);
            log.WriteLine($"{path} albert-base: max abs diff {diff:E2}");
            Assert.True(diff <= 1e-5, $"albert-base on {path}: max abs diff {diff}");
        }
    }

    [Fact]
    public void Bfloat16_products_stay_close_to_float32_and_outputs_stay_float32()
    {
        (InferenceOptions? options, string? skip) = KernelPaths.Options("bf16-auto");
        if (skip is not null)
        {
            log.WriteLine($"SKIPPED bf16: {skip}");
            return;
        }

        using SafetensorsFile golden = SafetensorsFile.Open(Path.Combine(SharedFolder.Anchor, "golden_2x16.safetensors"));
        using var scope = NewDisposeScope();
        Tensor reference = golden.ReadTensor("last_hidden_state");
        var inputs = new AlbertInputs
        {
            InputIds = golden.ReadTensor("input_ids"),
            AttentionMask = golden.ReadTensor("attention_mask"),
            TokenTypeIds = golden.ReadTensor("token_type_ids"),
        };
        using AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Anchor);
        using AlbertModel whole = AlbertModel.FromPretrained(SharedFolder.Anchor, new LoadOptions { DType = ScalarType.BFloat16 });
        using InferenceSession<AlbertModelOutput> session = model.CompileForInference(options);
        using AlbertModelOutput mixed = session.Run(inputs);
        using InferenceSession<AlbertModelOutput> wholeSession = whole.CompileForInference();
        using AlbertModelOutput wholeOutput = wholeSession.Run(inputs);

        Assert.Equal(ScalarType.BFloat16, session.MatMulDType);
        Assert.Empty(session.Warnings);
        Assert.All(session.Products, p => Assert.EndsWith("bf16", p.Kernel, StringComparison.Ordinal));
        Assert.Equal(ScalarType.Float32, mixed.LastHiddenState.dtype);
        float mixedError = MaxAbsDiff(mixed.LastHiddenState, reference), wholeError = MaxAbsDiff(wholeOutput.LastHiddenState, reference);
        log.WriteLine($"bf16 products {mixedError:E2}, bf16 model {wholeError:E2}");
        Assert.True(mixedError > 1e-4, $"bfloat16 products should differ from float32 a little (max abs diff {mixedError})");
        Assert.True(mixedError < 0.6 * wholeError, $"products only {mixedError} vs whole model {wholeError}");
    }

    [Fact]
    public void On_a_cpu_without_native_bfloat16_bfloat16_runs_float32_products_on_bfloat16_stored_weights()
    {
        CpuFeatures avx2Only = CpuFeatures.Current.Restrict(["avx2", "fma"]);
        using SafetensorsFile golden = SafetensorsFile.Open(Path.Combine(SharedFolder.Anchor, "golden_2x16.safetensors"));
        using var scope = NewDisposeScope();
        var inputs = new AlbertInputs
        {
            InputIds = golden.ReadTensor("input_ids"),
            AttentionMask = golden.ReadTensor("attention_mask"),
            TokenTypeIds = golden.ReadTensor("token_type_ids"),
        };
        using AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Anchor);
        using InferenceSession<AlbertModelOutput> session = model.CompileForInference(new InferenceOptions { MatMulDType = ScalarType.BFloat16, Cpu = avx2Only });
        using InferenceSession<AlbertModelOutput> fp32 = model.CompileForInference(new InferenceOptions { Cpu = avx2Only });
        using AlbertModel whole = AlbertModel.FromPretrained(SharedFolder.Anchor, new LoadOptions { DType = ScalarType.BFloat16 });

        Assert.Equal(ScalarType.Float32, session.MatMulDType);
        Assert.Empty(session.Warnings);
        Assert.All(session.Products, p => Assert.Equal("managed-avx2-bf16w", p.Kernel));
        using AlbertModelOutput stored = session.Run(inputs);
        using AlbertModelOutput exact = fp32.Run(inputs);
        using AlbertModelOutput wholeOutput = whole.forward(inputs);
        float storedError = MaxAbsDiff(stored.LastHiddenState, exact.LastHiddenState), wholeError = MaxAbsDiff(wholeOutput.LastHiddenState, exact.LastHiddenState);
        log.WriteLine($"bf16-stored weights {storedError:E2}, bf16 model {wholeError:E2}");
        Assert.Equal(ScalarType.Float32, stored.LastHiddenState.dtype);
        Assert.True(storedError > 1e-5, $"bfloat16-stored weights should differ from float32 a little (max abs diff {storedError})");
        Assert.True(storedError < 0.6 * wholeError, $"bf16-stored weights {storedError} vs whole bf16 model {wholeError}");
    }

    [Fact]
    public void Bfloat16_forced_onto_libtorch_without_native_bfloat16_runs_float32_with_one_warning()
    {
        CpuFeatures avx2Only = CpuFeatures.Current.Restrict(["avx2", "fma"]);
        using Golden g = Golden.Load("tiny", "batch_padded");
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny"));
        using InferenceSession<MaskedLMOutput> session = model.CompileForInference(new InferenceOptions { MatMulDType = ScalarType.BFloat16, Cpu = avx2Only, Kernel = ProductKernel.Libtorch });
        using InferenceSession<MaskedLMOutput> fp32 = model.CompileForInference(new InferenceOptions { Cpu = avx2Only, Kernel = ProductKernel.Libtorch });

        Assert.Equal(ScalarType.Float32, session.MatMulDType);
        string warning = Assert.Single(session.Warnings);
        Assert.Contains("native bfloat16", warning, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', warning);
        Assert.All(session.Products, p => Assert.Equal("libtorch-fp32", p.Kernel));
        using MaskedLMOutput a = session.Run(Inputs(g));
        using MaskedLMOutput b = fp32.Run(Inputs(g));
        Assert.Equal(0f, MaxAbsDiff(a.Logits, b.Logits));
    }

    [Fact]
    public void Kernels_follow_the_cpu_and_the_shape()
    {
        AlbertConfig baseConfig = AlbertConfigReader.ReadFile(SharedFolder.Anchor);
        CpuFeatures avx2Only = CpuFeatures.Current.Restrict(["avx2", "fma"]);
        CpuFeatures noAvx2 = CpuFeatures.Current.Restrict([]);
        InferencePlan small = InferenceCompiler.Plan(TinyModels.Config(), ScalarType.Float32);
        InferencePlan avx2 = InferenceCompiler.Plan(baseConfig, ScalarType.Float32, new InferenceOptions { Cpu = avx2Only });
        InferencePlan avx2Bf16 = InferenceCompiler.Plan(baseConfig, ScalarType.Float32, new InferenceOptions { Cpu = avx2Only, MatMulDType = ScalarType.BFloat16 });
        InferencePlan old = InferenceCompiler.Plan(baseConfig, ScalarType.Float32, new InferenceOptions { Cpu = noAvx2 });

        InferencePlan smallAvx2 = InferenceCompiler.Plan(TinyModels.Config(), ScalarType.Float32, new InferenceOptions { Cpu = avx2Only });
        string best = AlbertGen.Inference.Managed.ManagedProducts.BestIsa(CpuFeatures.Current) == AlbertGen.Inference.Managed.ManagedIsa.Avx512 ? "avx512" : "avx2";

        Assert.All(small.Products, p => Assert.Equal($"managed-{best}-fp32", p.Kernel)); // too small to pack: AlbertGen's own kernel
        Assert.All(smallAvx2.Products, p => Assert.Equal("managed-avx2-fp32", p.Kernel));
        Assert.All(old.Products, p => Assert.Equal("libtorch-fp32", p.Kernel)); // no AVX2: libtorch's own kernels
        // albert-base: every call on the fused layers' managed products; without them (FusedLayers = false) oneDNN's packed
        // kernels, as its products are at least 512 wide.
        Assert.All(avx2.Products, p => Assert.Equal("managed-avx2-fp32", p.Kernel));
        Assert.Equal("fused-managed-avx2-fp32 for every call", avx2.FusedLayers);
        Assert.All(InferenceCompiler.Plan(baseConfig, ScalarType.Float32, new InferenceOptions { Cpu = avx2Only, FusedLayers = false }).Products,
            p => Assert.Equal("onednn-packed-fp32", p.Kernel));
        Assert.Equal(ScalarType.Float32, avx2Bf16.MatMulDType);
        Assert.Empty(avx2Bf16.Warnings); // bfloat16 without native bfloat16: float32 arithmetic on bfloat16-stored weights
        Assert.Equal(4, avx2.Products.Count);
        Assert.All(avx2Bf16.Products, p => Assert.Equal("managed-avx2-bf16w", p.Kernel));
        Assert.Throws<PlatformNotSupportedException>(() =>
            InferenceCompiler.Plan(baseConfig, ScalarType.BFloat16, new InferenceOptions { Cpu = avx2Only, Kernel = ProductKernel.OneDnnPacked }));
    }

    [Fact]
    public void A_non_floating_products_dtype_is_refused()
    {
        using var model = new AlbertModel(TinyModels.Config());
        model.eval();
        var e = Assert.Throws<ArgumentException>(() => model.CompileForInference(new InferenceOptions { MatMulDType = ScalarType.Int64 }));
        Assert.Contains("MatMulDType", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_in_training_mode_is_refused()
    {
        using var model = new AlbertModel(TinyModels.Config());
        var e = Assert.Throws<InvalidOperationException>(() => model.CompileForInference());
        Assert.Contains("eval()", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Runs_leave_no_tensor_behind_and_dispose_frees_the_session()
    {
        using Golden g = Golden.Load("tiny-groups", "batch_padded");
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny-groups"));
        AlbertInputs inputs = Inputs(g);
        var session = model.CompileForInference(new InferenceOptions { Kernel = ProductKernel.Libtorch });
        using (session.Run(inputs))
        using (session.Run(new AlbertInputs { InputIds = g["input_ids"], OutputHiddenStates = true }))
        {
            // libtorch and TorchSharp make a few lasting objects on first use
        }

        GC.Collect();
        GC.WaitForPendingFinalizers(); // tensors left to the finalizer by other tests must not move the count during the runs
        long before = Tensor.TotalCount;
        for (int i = 0; i < 20; i++)
        {
            using MaskedLMOutput output = session.Run(inputs);
        }

        for (int i = 0; i < 3; i++)
        {
            using MaskedLMOutput withStates = session.Run(new AlbertInputs { InputIds = g["input_ids"], OutputHiddenStates = true });
            Assert.Equal(model.Config.NumHiddenLayers + 1, withStates.HiddenStates!.Count);
        }

        Assert.Equal(before, Tensor.TotalCount);
        session.Dispose();
        Assert.True(Tensor.TotalCount < before, "disposing the session frees its fused weights");
        Assert.Throws<ObjectDisposedException>(() => session.Run(inputs));
    }
}
