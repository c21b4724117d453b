using AlbertGen.Inference;
using AlbertGen.Inference.Managed;
using AlbertGen.Modeling;
using AlbertGen.Tests.Modeling;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Inference.Managed;

/// <summary>
/// The fused encoder (managed attention, LayerNorms and buffers driving <see cref="IManagedProduct"/>s) computes what the
/// model's own encoder computes, within 1e-5, at edge shapes and configurations; here on <see cref="ReferenceProduct"/>s,
/// so these tests check the fused layer itself, whatever the optimised kernels do.
/// </summary>
[Collection(nameof(LiveTensorCount))]
public sealed class FusedEncoderTests(ITestOutputHelper log)
{
    internal static FusedEncoder Build(AlbertTransformer encoder, AlbertConfig config) =>
        FusedEncoder.Create(encoder, (float)config.LayerNormEps, ManagedProducts.BestIsa(CpuFeatures.Current) ?? ManagedIsa.Avx2, (weight, bias, outputs, inputs, activation) =>
            new ReferenceProduct(weight.ToArray(), bias.ToArray(), outputs, inputs, activation));

    /// <summary>The additive mask the models build, <c>[B, 1, 1, S]</c>, with sequence b holding <c>lengths[b]</c> tokens.</summary>
    internal static Tensor Mask(int[] lengths, int seq)
    {
        var keep = new float[lengths.Length * seq];
        for (int b = 0; b < lengths.Length; b++)
        {
            Array.Fill(keep, 1f, b * seq, lengths[b]);
        }

        return tensor(keep).view(lengths.Length, 1, 1, seq).neg().add_(1.0).mul_(-10000.0);
    }

    public static TheoryData<string, AlbertActivation, int, int, int, int, int> Shapes() => new()
    {
        // name, activation, layers, groups, inner, batch, seq (names starting "relative_" use those position embeddings)
        { "relative_key", AlbertActivation.GeluNew, 2, 2, 1, 2, 13 },
        { "relative_key_query", AlbertActivation.GeluNew, 4, 4, 1, 3, 21 },
        { "relative_key_query one row", AlbertActivation.Gelu, 2, 1, 1, 1, 1 },
        { "relative_key_query all positions", AlbertActivation.Gelu, 2, 1, 1, 2, 64 },
        { "one row", AlbertActivation.Gelu, 2, 1, 1, 1, 1 },
        { "gelu", AlbertActivation.Gelu, 2, 1, 1, 2, 13 },
        { "gelu_new", AlbertActivation.GeluNew, 2, 1, 1, 2, 16 },
        { "gelu_fast", AlbertActivation.GeluFast, 2, 1, 1, 1, 17 },
        { "quick_gelu", AlbertActivation.QuickGelu, 2, 1, 1, 3, 5 },
        { "relu", AlbertActivation.Relu, 2, 1, 1, 2, 33 },
        { "silu", AlbertActivation.Silu, 2, 1, 1, 2, 7 },
        { "groups", AlbertActivation.GeluNew, 4, 2, 1, 2, 9 },
        { "inner layers", AlbertActivation.GeluNew, 3, 1, 2, 2, 9 },
        { "groups and inner layers", AlbertActivation.Gelu, 6, 3, 2, 3, 11 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_the_model_encoder_within_1e_5(string name, AlbertActivation activation, int layers, int groups, int inner, int batch, int seq)
    {
        PositionEmbeddingType positions = name.StartsWith("relative_key_query", StringComparison.Ordinal) ? PositionEmbeddingType.RelativeKeyQuery
            : name.StartsWith("relative_key", StringComparison.Ordinal) ? PositionEmbeddingType.RelativeKey
            : PositionEmbeddingType.Absolute;
        AlbertConfig config = TinyModels.Config(activation, positions, layers: layers, groups: groups, inner: inner, hidden: 24, heads: 3, intermediate: 40) with { EmbeddingSize = 10, MaxPositionEmbeddings = 64 };
        using var model = new AlbertModel(config);
        model.eval();
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        Tensor embeddings = randn([batch, seq, config.EmbeddingSize], generator: new TorchSharp.torch.Generator(11));
        int[] lengths = Enumerable.Range(0, batch).Select(b => Math.Max(1, seq - (2 * b))).ToArray();
        Tensor mask = Mask(lengths, seq);
        using FusedEncoder fused = Build(model.Encoder, config);

        foreach (Tensor? m in new[] { mask, null })
        {
            var expectedStates = new List<Tensor>();
            var states = new List<Tensor>();
            Tensor expected = model.Encoder.forward(embeddings, m, null, expectedStates, null);
            Tensor actual = fused.Run(model.Encoder, embeddings, m, states);
            Tensor plain = fused.Run(model.Encoder, embeddings, m, null);
            float diff = actual.sub(expected).abs().max().item<float>();
            log.WriteLine($"{name} {batch}x{seq} mask {m is not null}: max abs diff {diff:E2}");
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(diff <= 1e-5, $"{name}: max abs diff {diff}");
            Assert.Equal(0f, plain.sub(actual).abs().max().item<float>());
            Assert.Equal(expectedStates.Count, states.Count);
            for (int i = 0; i < states.Count; i++)
            {
                float stateDiff = states[i].sub(expectedStates[i]).abs().max().item<float>();
                Assert.True(stateDiff <= 1e-5, $"{name}: hidden state {i} max abs diff {stateDiff}");
            }
        }
    }

    public static TheoryData<string> Isas() => new() { nameof(ManagedIsa.Avx2), nameof(ManagedIsa.Avx512) };

    [Theory]
    [MemberData(nameof(Isas))]
    public void On_the_managed_products_of_each_instruction_set_matches_the_model_encoder_within_1e_5(string isaName)
    {
        ManagedIsa isa = Enum.Parse<ManagedIsa>(isaName);
        if (!ManagedProducts.Allows(CpuFeatures.Current, isa))
        {
            log.WriteLine($"SKIPPED {isa}: not allowed on this CPU ({CpuFeatures.Current}; DOTNET_EnableAVX512F)");
            return;
        }

        // Sizes that are not multiples of the panels or the microkernels' rows, an odd head size, two groups.
        AlbertConfig config = TinyModels.Config(AlbertActivation.Gelu, layers: 4, groups: 2, hidden: 40, heads: 4, intermediate: 72) with { EmbeddingSize = 24, MaxPositionEmbeddings = 160 };
        using var model = new AlbertModel(config);
        model.eval();
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        using FusedEncoder fused = FusedEncoder.Create(model.Encoder, (float)config.LayerNormEps, isa, (weight, bias, outputs, inputs, activation) =>
            ManagedProducts.Create(weight, bias, outputs, inputs, activation, CpuFeatures.Current, isa: isa));
        Assert.All(fused.Groups.SelectMany(g => g).SelectMany(l => l.Products.Select(p => p.Kernel)).Append(fused.Mapping), p => Assert.Equal(ManagedProducts.Name(isa, ManagedWeightStorage.Float32), p.Name));
        foreach ((int batch, int seq) in new[] { (1, 1), (1, 13), (3, 37), (2, 150) })
        {
            Tensor embeddings = randn([batch, seq, config.EmbeddingSize], generator: new TorchSharp.torch.Generator(17));
            Tensor mask = Mask(Enumerable.Range(0, batch).Select(b => Math.Max(1, seq - (5 * b))).ToArray(), seq);
            Tensor expected = model.Encoder.forward(embeddings, mask, null, null, null);
            float diff = fused.Run(model.Encoder, embeddings, mask, null).sub(expected).abs().max().item<float>();
            log.WriteLine($"{isa} {batch}x{seq}: max abs diff {diff:E2}");
            Assert.True(diff <= 1e-5, $"{isa} {batch}x{seq}: max abs diff {diff}");
        }
    }

    [Fact]
    public void Padded_positions_do_not_change_the_real_ones()
    {
        AlbertConfig config = TinyModels.Config(hidden: 24, heads: 3, intermediate: 40);
        using var model = new AlbertModel(config);
        model.eval();
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        using FusedEncoder fused = Build(model.Encoder, config);
        Tensor embeddings = randn([1, 9, config.EmbeddingSize], generator: new TorchSharp.torch.Generator(3));
        Tensor other = embeddings.clone();
        other[0, TensorIndex.Slice(6)] = randn([3, config.EmbeddingSize]);
        Tensor mask = Mask([6], 9);

        Tensor a = fused.Run(model.Encoder, embeddings, mask, null).narrow(1, 0, 6);
        Tensor b = fused.Run(model.Encoder, other, mask, null).narrow(1, 0, 6);
        Assert.True(a.sub(b).abs().max().item<float>() <= 1e-6);
        Tensor unmasked = fused.Run(model.Encoder, other, null, null).narrow(1, 0, 6);
        Assert.True(a.sub(unmasked).abs().max().item<float>() > 1e-3, "without the mask the padding must matter (else this test checks nothing)");
    }

    [Fact]
    public void Concurrent_runs_each_get_their_own_result()
    {
        AlbertConfig config = TinyModels.Config(hidden: 24, heads: 3, intermediate: 40, layers: 3) with { MaxPositionEmbeddings = 64 };
        using var model = new AlbertModel(config);
        model.eval();
        using FusedEncoder fused = Build(model.Encoder, config);
        int[] seqs = [1, 5, 13, 31, 64, 2, 8, 20];
        float[][] expected = seqs.Select(seq =>
        {
            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            return model.Encoder.forward(Inputs(seq, config), null, null, null, null).data<float>().ToArray();
        }).ToArray();

        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            int which = i % seqs.Length;
            float[] actual = fused.Run(model.Encoder, Inputs(seqs[which], config), null, null).data<float>().ToArray();
            Assert.Equal(expected[which].Length, actual.Length);
            Assert.True(expected[which].Zip(actual).All(p => Math.Abs(p.First - p.Second) <= 1e-5), $"run {i} (seq {seqs[which]}) differs");
        });
    }

    private static Tensor Inputs(int seq, AlbertConfig config) =>
        randn([2, seq, config.EmbeddingSize], generator: new TorchSharp.torch.Generator((ulong)seq));
}
