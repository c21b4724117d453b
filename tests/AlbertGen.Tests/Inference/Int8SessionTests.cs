using AlbertGen.Inference;
using AlbertGen.Modeling;
using AlbertGen.Tests.Modeling;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Inference;

/// <summary>
/// int8 inference sessions (<see cref="InferenceOptions.Int8"/>): every head close to float32 with int8 forced on the tiny
/// fixtures (the automatic choice leaves their 32-wide products in float32), the 7-bit kernel and the refusals forced on
/// every CPU, and many threads on one session.
/// </summary>
[Collection(nameof(LiveTensorCount))]
public sealed class Int8SessionTests(ITestOutputHelper log)
{
    /// <summary>
    /// Bound on max |int8 − float32| / max |float32| for a head's output on the tiny fixtures: their 32-wide products
    /// quantise coarsely and the error compounds over the layers (measured up to 13.5 %, on tiny-groups' question-answering
    /// start logits; 3–7 % on hidden states and masked-LM logits).
    /// </summary>
    private const double HeadBound = 0.2;

    private static readonly InferenceOptions ForcedInt8 = new() { Kernel = ProductKernel.OneDnnInt8 };

    /// <summary>The CPU without VNNI: the 7-bit kernel, as an AVX2-only machine runs it.</summary>
    private static CpuFeatures WithoutVnni => CpuFeatures.Current.Restrict(["avx2", "fma"]);

    private static AlbertInputs Inputs(Golden g) => new()
    {
        InputIds = g["input_ids"],
        AttentionMask = g.Get("attention_mask"),
        TokenTypeIds = g.Get("token_type_ids"),
    };

    private static double RelativeError(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        return actual.sub(expected).abs().max().item<float>() / Math.Max(1e-6, expected.abs().max().item<float>());
    }

    private static (Tensor Float32, Tensor Int8, IReadOnlyList<ProductKernelChoice> Products) Both<TOutput>(
        AlbertPreTrainedModel<TOutput> model, InferenceOptions int8, AlbertInputs inputs, Func<TOutput, Tensor> pick)
        where TOutput : AlbertOutput
    {
        using InferenceSession<TOutput> plain = model.CompileForInference();
        using InferenceSession<TOutput> quantized = model.CompileForInference(int8);
        using TOutput a = plain.Run(inputs);
        using TOutput b = quantized.Run(inputs);
        return (pick(a).clone(), pick(b).clone(), quantized.Products);
    }

    [Fact]
    public void The_plan_names_the_kernels_the_session_runs_with_int8_forced()
    {
        // int8's availability is decided once, so what info and Plan promise is what compiling makes.
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny"));
        model.eval();
        using InferenceSession<MaskedLMOutput> session = model.CompileForInference(ForcedInt8);
        InferencePlan plan = InferenceCompiler.Plan(model.Config, ScalarType.Float32, ForcedInt8);

        Assert.Equal(plan.Products.Select(p => p.ToString()), session.Products.Select(p => p.ToString()));
        Assert.All(session.Products, p => Assert.StartsWith("onednn-int8", p.Kernel, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("tiny-groups", true)]
    [InlineData("tiny", false)]
    public void Every_head_with_int8_forced_is_within_the_bound_of_float32(string fixture, bool vnni)
    {
        if (vnni && !CpuFeatures.Current.Has("avx512_vnni") && !CpuFeatures.Current.Has("avx_vnni") && !CpuFeatures.Current.Has("amx_int8"))
        {
            log.WriteLine("SKIPPED the 8-bit kernel: this CPU has no VNNI; the 7-bit case runs everywhere.");
            return;
        }

        InferenceOptions options = vnni ? ForcedInt8 : ForcedInt8 with { Cpu = WithoutVnni };
        using Golden g = Golden.Load(fixture, "batch_padded");
        string dir = SharedFolder.Model(fixture);
        AlbertInputs inputs = Inputs(g);
        using var scope = NewDisposeScope();
        void Check<TOutput>(string head, AlbertPreTrainedModel<TOutput> model, Func<TOutput, Tensor> pick)
            where TOutput : AlbertOutput
        {
            using (model)
            {
                (Tensor float32, Tensor int8, IReadOnlyList<ProductKernelChoice> products) = Both(model, options, inputs, pick);
                double error = RelativeError(int8, float32);
                log.WriteLine($"{fixture} {head} [{products[0].Kernel}]: relative error {error:E2}");
                Assert.All(products, p => Assert.StartsWith("onednn-int8", p.Kernel, StringComparison.Ordinal));
                Assert.True(error <= HeadBound, $"{head}: relative error {error} above {HeadBound}");
                Assert.True(error > 1e-6, $"{head}: no int8 error at all, the products did not run in int8");
            }
        }

        Check("AlbertModel", AlbertModel.FromPretrained(dir), o => o.LastHiddenState);
        Check("AlbertModel.pooler", AlbertModel.FromPretrained(dir), o => o.PoolerOutput!);
        Check("AlbertForPreTraining", AlbertForPreTraining.FromPretrained(dir), o => o.PredictionLogits);
        Check("AlbertForMaskedLM", AlbertForMaskedLM.FromPretrained(dir), o => o.Logits);
        Check("AlbertForSequenceClassification", AlbertForSequenceClassification.FromPretrained(Path.Combine(dir, "heads", "seqcls-single3")), o => o.Logits);
        Check("AlbertForTokenClassification", AlbertForTokenClassification.FromPretrained(Path.Combine(dir, "heads", "tokcls5")), o => o.Logits);
        Check("AlbertForQuestionAnswering", AlbertForQuestionAnswering.FromPretrained(Path.Combine(dir, "heads", "qa")), o => o.StartLogits);
    }

    [Fact]
    public void The_automatic_choice_keeps_products_too_small_to_gain_in_float32()
    {
        using AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Model("tiny"));
        model.eval();
        using InferenceSession<AlbertModelOutput> session = model.CompileForInference(new InferenceOptions { Int8 = true });
        Assert.All(session.Products, p => Assert.DoesNotContain("int8", p.Kernel, StringComparison.Ordinal));
    }

    [Fact]
    public void Without_VNNI_int8_runs_float32_products_and_says_so_in_one_line()
    {
        using AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Model("tiny"));
        model.eval();
        using InferenceSession<AlbertModelOutput> session = model.CompileForInference(new InferenceOptions { Int8 = true, Cpu = WithoutVnni });
        string warning = Assert.Single(session.Warnings);
        Assert.Contains("VNNI", warning, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', warning);
        Assert.All(session.Products, p => Assert.DoesNotContain("int8", p.Kernel, StringComparison.Ordinal));
    }

    [Fact]
    public void Where_no_int8_kernel_can_run_compiling_is_refused_in_one_line()
    {
        using AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Model("tiny"));
        model.eval();
        var noAvx2 = CpuFeatures.Current.Restrict([]);
        var refused = Assert.Throws<PlatformNotSupportedException>(() => model.CompileForInference(new InferenceOptions { Int8 = true, Cpu = noAvx2 }));
        Assert.Contains("AVX2", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refused.Message);
        Assert.Throws<PlatformNotSupportedException>(() => model.CompileForInference(ForcedInt8 with { Cpu = noAvx2 }));
        Assert.Throws<ArgumentException>(() => model.CompileForInference(new InferenceOptions { Int8 = true, MatMulDType = ScalarType.BFloat16 }));
    }

    [Fact]
    public void Many_threads_on_one_int8_session_get_what_one_thread_gets()
    {
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny-groups"));
        model.eval();
        using InferenceSession<MaskedLMOutput> session = model.CompileForInference(ForcedInt8 with { Cpu = WithoutVnni });
        using Golden g = Golden.Load("tiny-groups", "batch_padded");
        AlbertInputs inputs = Inputs(g);
        Tensor expected;
        using (MaskedLMOutput once = session.Run(inputs))
        {
            expected = once.Logits.clone();
        }

        using (expected)
        {
            Parallel.For(0, 24, new ParallelOptions { MaxDegreeOfParallelism = 6 }, i =>
            {
                using MaskedLMOutput output = session.Run(inputs);
                Assert.True(output.Logits.equal(expected).all().item<bool>(), $"run {i} differs");
            });
        }
    }
}
