using AlbertGen.Inference;
using AlbertGen.Inference.Managed;
using AlbertGen.Modeling;
using AlbertGen.Tests.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Inference;

/// <summary>
/// Sessions on the fused managed layers: what they say they run, where they refuse to, where they fall back, and that
/// concurrent runs give the serial results bit for bit.
/// </summary>
[Collection(nameof(LiveTensorCount))]
public sealed class FusedSessionTests
{
    private static float MaxAbsDiff(Tensor a, Tensor b)
    {
        using Tensor diff = a.sub(b).abs().max();
        return diff.item<float>();
    }

    [Fact]
    public void A_session_names_the_fused_layers_and_when_they_run_as_the_plan_does()
    {
        AlbertConfig config = TinyModels.Config();
        using var model = new AlbertModel(config);
        model.eval();
        using InferenceSession<AlbertModelOutput> automatic = model.CompileForInference();
        using InferenceSession<AlbertModelOutput> always = model.CompileForInference(new InferenceOptions { FusedLayers = true });
        using InferenceSession<AlbertModelOutput> never = model.CompileForInference(new InferenceOptions { FusedLayers = false });

        string kernel = ManagedProducts.Name(ManagedProducts.BestIsa(CpuFeatures.Current) ?? throw new InvalidOperationException("this test needs a CPU with AVX2 and FMA"), ManagedWeightStorage.Float32);
        // Where the fused layers can run, every call runs them and the session keeps no per-product layers, whatever the
        // model's width and instruction set.
        Assert.Equal($"fused-{kernel} for every call", automatic.FusedLayers);
        Assert.Equal(automatic.FusedLayers, InferenceCompiler.Plan(config, ScalarType.Float32).FusedLayers);
        Assert.All(automatic.Products, p => Assert.Equal(kernel, p.Kernel));
        Assert.Equal(InferenceCompiler.Plan(config, ScalarType.Float32).Products, automatic.Products);
        AlbertConfig wide = config with { HiddenSize = 768, NumAttentionHeads = 12, IntermediateSize = 3072 };
        Assert.Equal($"fused-{kernel} for every call", InferenceCompiler.Plan(wide, ScalarType.Float32).FusedLayers);
        CpuFeatures avx2 = CpuFeatures.Current.Restrict(["avx2", "fma"]);
        Assert.Equal("fused-managed-avx2-fp32 for every call", InferenceCompiler.Plan(wide, ScalarType.Float32, new InferenceOptions { Cpu = avx2 }).FusedLayers);
        Assert.All(InferenceCompiler.Plan(wide, ScalarType.Float32, new InferenceOptions { FusedLayers = false }).Products, p => Assert.NotEqual(kernel, p.Kernel));
        Assert.EndsWith("for every call", always.FusedLayers, StringComparison.Ordinal);
        Assert.Null(never.FusedLayers);
        Assert.Null(InferenceCompiler.Plan(config, ScalarType.Float32, new InferenceOptions { FusedLayers = false }).FusedLayers);
        Assert.Null(InferenceCompiler.Plan(config, ScalarType.Float32, new InferenceOptions { Kernel = ProductKernel.Libtorch }).FusedLayers);
    }

    [Fact]
    public void Forcing_the_fused_layers_where_they_cannot_run_says_why()
    {
        using var model = new AlbertModel(TinyModels.Config());
        model.eval();

        var e = Assert.Throws<PlatformNotSupportedException>(() => model.CompileForInference(new InferenceOptions { FusedLayers = true, Kernel = ProductKernel.Libtorch }));
        Assert.Contains("forced onto the Libtorch kernel", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<PlatformNotSupportedException>(() => model.CompileForInference(new InferenceOptions { FusedLayers = true, Cpu = CpuFeatures.Current.Restrict([]) }));
        Assert.Contains("AVX2", e.Message, StringComparison.Ordinal);
        // int8 products run on the per-product path; a model none of whose products is large enough for int8 runs fused.
        AlbertConfig int8Sized = model.Config with { HiddenSize = 256, NumAttentionHeads = 4, IntermediateSize = 512 };
        e = Assert.Throws<PlatformNotSupportedException>(() => InferenceCompiler.Plan(int8Sized, ScalarType.Float32, new InferenceOptions { FusedLayers = true, Int8 = true }));
        Assert.Contains("int8", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("for every call", InferenceCompiler.Plan(model.Config, ScalarType.Float32, new InferenceOptions { Int8 = true }).FusedLayers, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PositionEmbeddingType.RelativeKey)]
    [InlineData(PositionEmbeddingType.RelativeKeyQuery)]
    public void A_relative_position_model_runs_fused_within_1e_5_of_the_plain_model(PositionEmbeddingType positions)
    {
        using var model = new AlbertModel(TinyModels.Config(positions: positions, layers: 3, groups: 3) with { MaxPositionEmbeddings = 32 });
        model.eval();
        using InferenceSession<AlbertModelOutput> session = model.CompileForInference(new InferenceOptions { FusedLayers = true });
        using Tensor ids = randint(5, model.Config.VocabSize, [2, 32], dtype: ScalarType.Int64, generator: new TorchSharp.torch.Generator(5));
        using Tensor mask = ones([2, 32], ScalarType.Int64);
        mask[1, TensorIndex.Slice(20)] = tensor(0L);
        var inputs = new AlbertInputs { InputIds = ids, AttentionMask = mask };

        using AlbertModelOutput fast = session.Run(inputs);
        using (inference_mode())
        using (AlbertModelOutput plain = model.forward(inputs))
        {
            Assert.True(MaxAbsDiff(plain.LastHiddenState, fast.LastHiddenState) <= 1e-5);
        }
    }

    public static TheoryData<string> FromIdsCases() => new() { "ids only", "types", "positions [S]", "positions [1, S]", "positions [B, S]", "float mask", "int32 ids", "hidden states", "no pooler", "relative" };

    [Theory]
    [MemberData(nameof(FromIdsCases))]
    public void A_fused_pass_from_the_ids_gives_the_plain_models_outputs_within_1e_5(string name)
    {
        AlbertConfig config = TinyModels.Config(positions: name == "relative" ? PositionEmbeddingType.RelativeKeyQuery : PositionEmbeddingType.Absolute, layers: 3, groups: 2)
            with { TypeVocabSize = 3, MaxPositionEmbeddings = 40 };
        using var model = new AlbertModel(config, addPoolingLayer: name != "no pooler");
        model.eval();
        using InferenceSession<AlbertModelOutput> session = model.CompileForInference(new InferenceOptions { FusedLayers = true });
        using var scope = NewDisposeScope();
        const int batch = 3, seq = 11;
        var generator = new TorchSharp.torch.Generator(23);
        Tensor ids = randint(0, config.VocabSize, [batch, seq], dtype: ScalarType.Int64, generator: generator);
        Tensor mask = ones([batch, seq], ScalarType.Int64);
        mask[1, TensorIndex.Slice(7)] = tensor(0L);
        mask[2, TensorIndex.Slice(2)] = tensor(0L);
        var inputs = new AlbertInputs
        {
            InputIds = name == "int32 ids" ? ids.to(ScalarType.Int32) : ids,
            AttentionMask = name == "float mask" ? mask.to(ScalarType.Float32) : mask,
            TokenTypeIds = name switch
            {
                "types" => randint(0, 3, [batch, seq], dtype: ScalarType.Int64, generator: generator),
                "int32 ids" => ones([batch, seq], ScalarType.Int32),
                _ => null,
            },
            PositionIds = name switch
            {
                "positions [S]" => arange(seq, ScalarType.Int64).flip(0).add(3),
                "positions [1, S]" => arange(seq, ScalarType.Int64).add(5).unsqueeze(0),
                "positions [B, S]" => randint(0, 40, [batch, seq], dtype: ScalarType.Int64, generator: generator),
                _ => null,
            },
            OutputHiddenStates = name == "hidden states",
        };

        AlbertModelOutput fast = session.Run(inputs);
        using (inference_mode())
        {
            AlbertModelOutput plain = model.forward(inputs);
            Assert.True(MaxAbsDiff(plain.LastHiddenState, fast.LastHiddenState) <= 1e-5, $"{name}: last hidden state");
            Assert.Equal(plain.PoolerOutput is null, fast.PoolerOutput is null);
            if (plain.PoolerOutput is not null)
            {
                Assert.True(MaxAbsDiff(plain.PoolerOutput, fast.PoolerOutput!) <= 1e-5, $"{name}: pooler output");
            }

            Assert.Equal(plain.HiddenStates?.Count, fast.HiddenStates?.Count);
            for (int i = 0; i < (plain.HiddenStates?.Count ?? 0); i++)
            {
                Assert.True(MaxAbsDiff(plain.HiddenStates![i], fast.HiddenStates![i]) <= 1e-5, $"{name}: hidden state {i}");
            }
        }
    }

    [Fact]
    public void Concurrent_runs_give_the_serial_results_bit_for_bit()
    {
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny"));
        using InferenceSession<MaskedLMOutput> session = model.CompileForInference(new InferenceOptions { FusedLayers = true });
        int[] lengths = [1, 3, 7, 12, 16, 5, 9, 14];
        AlbertInputs Inputs(int i)
        {
            int seq = lengths[i % lengths.Length];
            Tensor ids = randint(5, model.Config.VocabSize, [2, seq], dtype: ScalarType.Int64, generator: new TorchSharp.torch.Generator((ulong)i));
            Tensor mask = ones([2, seq], ScalarType.Int64);
            mask[1, TensorIndex.Slice(Math.Max(1, seq - 2))] = tensor(0L);
            return new AlbertInputs { InputIds = ids, AttentionMask = mask };
        }

        float[] Logits(int i)
        {
            using var scope = NewDisposeScope();
            using MaskedLMOutput output = session.Run(Inputs(i));
            return output.Logits.data<float>().ToArray();
        }

        float[][] serial = Enumerable.Range(0, lengths.Length).Select(Logits).ToArray();
        var mismatches = new System.Collections.Concurrent.ConcurrentBag<int>();
        Parallel.For(0, 8 * lengths.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, k =>
        {
            if (!Logits(k % lengths.Length).AsSpan().SequenceEqual(serial[k % lengths.Length]))
            {
                mismatches.Add(k);
            }
        });

        Assert.Empty(mismatches);
    }
}
