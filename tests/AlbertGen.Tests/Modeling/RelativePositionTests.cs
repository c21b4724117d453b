using AlbertGen.Inference;
using Xunit.Abstractions;
using AlbertGen.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>
/// <c>relative_key</c> and <c>relative_key_query</c> attention (no goldens exist): checked against a loop-by-loop computation of
/// HuggingFace's <c>AlbertAttention</c> formula, scores = q·k/√d + mask + q·D[l−r+P−1] (+ k·D[l−r+P−1]).
/// </summary>
public sealed class RelativePositionTests(ITestOutputHelper log)
{
    private const int Seq = 4;

    private static double[,] Matrix(Tensor t)
    {
        using Tensor d = t.detach().to(ScalarType.Float64);
        var values = d.data<double>().ToArray();
        var m = new double[t.shape[0], t.shape[1]];
        Buffer.BlockCopy(values, 0, m, 0, values.Length * sizeof(double));
        return m;
    }

    private static double[] Vector(Tensor t)
    {
        using Tensor d = t.detach().to(ScalarType.Float64);
        return d.data<double>().ToArray();
    }

    private static double[][] Affine(double[][] x, double[,] w, double[] b) =>
        x.Select(row => Enumerable.Range(0, w.GetLength(0))
            .Select(o => b[o] + Enumerable.Range(0, row.Length).Sum(i => w[o, i] * row[i])).ToArray()).ToArray();

    private static double[] LayerNorm(double[] x, double[] g, double[] b)
    {
        double mean = x.Average();
        double variance = x.Select(v => (v - mean) * (v - mean)).Average();
        return x.Select((v, i) => ((v - mean) / Math.Sqrt(variance + 1e-12) * g[i]) + b[i]).ToArray();
    }

    /// <summary>HuggingFace's AlbertAttention for one sequence, in double, by loops.</summary>
    private static (double[][] Output, double[,,] Probs) Reference(AlbertAttention attention, AlbertConfig config, double[][] x, double[] mask)
    {
        var p = attention.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter);
        double[][] q = Affine(x, Matrix(p["query.weight"]), Vector(p["query.bias"]));
        double[][] k = Affine(x, Matrix(p["key.weight"]), Vector(p["key.bias"]));
        double[][] v = Affine(x, Matrix(p["value.weight"]), Vector(p["value.bias"]));
        double[,] distance = Matrix(p["distance_embedding.weight"]);
        int heads = config.NumAttentionHeads, d = config.AttentionHeadSize, s = x.Length, positions = config.MaxPositionEmbeddings;
        var probs = new double[heads, s, s];
        var context = new double[s][];
        for (int l = 0; l < s; l++)
        {
            context[l] = new double[config.HiddenSize];
        }

        for (int h = 0; h < heads; h++)
        {
            for (int l = 0; l < s; l++)
            {
                var scores = new double[s];
                for (int r = 0; r < s; r++)
                {
                    double dot = 0, byQuery = 0, byKey = 0;
                    int row = l - r + positions - 1;
                    for (int i = 0; i < d; i++)
                    {
                        dot += q[l][(h * d) + i] * k[r][(h * d) + i];
                        byQuery += q[l][(h * d) + i] * distance[row, i];
                        byKey += k[r][(h * d) + i] * distance[row, i];
                    }

                    scores[r] = (dot / Math.Sqrt(d)) + ((1 - mask[r]) * -10000.0) + byQuery
                        + (config.PositionEmbeddingType == PositionEmbeddingType.RelativeKeyQuery ? byKey : 0);
                }

                double max = scores.Max();
                double sum = scores.Sum(sc => Math.Exp(sc - max));
                for (int r = 0; r < s; r++)
                {
                    probs[h, l, r] = Math.Exp(scores[r] - max) / sum;
                    for (int i = 0; i < d; i++)
                    {
                        context[l][(h * d) + i] += probs[h, l, r] * v[r][(h * d) + i];
                    }
                }
            }
        }

        double[][] projected = Affine(context, Matrix(p["dense.weight"]), Vector(p["dense.bias"]));
        double[][] output = projected.Select((row, l) => LayerNorm(
            row.Select((val, i) => val + x[l][i]).ToArray(), Vector(p["LayerNorm.weight"]), Vector(p["LayerNorm.bias"]))).ToArray();
        return (output, probs);
    }

    [Theory]
    [InlineData(PositionEmbeddingType.RelativeKey)]
    [InlineData(PositionEmbeddingType.RelativeKeyQuery)]
    public void Relative_attention_matches_the_formula_computed_by_hand(PositionEmbeddingType type)
    {
        AlbertConfig config = TinyModels.Config(positions: type);
        manual_seed(7);
        using var attention = new AlbertAttention(config, random: true);
        attention.eval();
        using (no_grad())
        {
            foreach ((string _, Parameter p) in attention.named_parameters())
            {
                p.normal_(0, 0.5); // large enough that every term matters
            }
        }

        using Tensor hidden = randn(1, Seq, config.HiddenSize);
        double[] mask = [1, 1, 1, 0];
        using Tensor additive = tensor(mask.Select(m => (float)((1 - m) * -10000.0)).ToArray()).view(1, 1, 1, Seq);
        (Tensor output, Tensor? probs) = attention.forward(hidden, additive, null, true);
        using (output)
        using (probs)
        {
            double[][] x = Enumerable.Range(0, Seq).Select(l => Vector(hidden[0, l])).ToArray();
            (double[][] expectedOutput, double[,,] expectedProbs) = Reference(attention, config, x, mask);
            using Tensor e = tensor(expectedOutput.SelectMany(r => r).ToArray()).view(1, Seq, config.HiddenSize);
            TensorAssert.Close(e, output, $"{type} output", atol: 1e-5, rtol: 1e-5);
            var flatProbs = new double[expectedProbs.Length];
            Buffer.BlockCopy(expectedProbs, 0, flatProbs, 0, flatProbs.Length * sizeof(double));
            using Tensor ep = tensor(flatProbs).view(1, config.NumAttentionHeads, Seq, Seq);
            TensorAssert.Close(ep, probs!, $"{type} probabilities", atol: 1e-6, rtol: 1e-5);
        }
    }

    [Theory]
    [InlineData(PositionEmbeddingType.RelativeKey)]
    [InlineData(PositionEmbeddingType.RelativeKeyQuery)]
    public void Relative_models_have_a_distance_table_of_2P_minus_1_rows_and_ignore_the_absolute_table(PositionEmbeddingType type)
    {
        AlbertConfig config = TinyModels.Config(positions: type);
        using var model = new AlbertModel(config);
        model.eval();
        var parameters = model.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter);
        Assert.Equal(
            [2L * config.MaxPositionEmbeddings - 1, config.AttentionHeadSize],
            parameters["encoder.albert_layer_groups.0.albert_layers.0.attention.distance_embedding.weight"].shape);

        using Tensor ids = tensor(new long[] { 2, 9, 14, 3 }).unsqueeze(0);
        using AlbertModelOutput before = model.forward(new AlbertInputs { InputIds = ids });
        using (no_grad())
        {
            parameters["embeddings.position_embeddings.weight"].normal_(0, 1);
        }

        using AlbertModelOutput after = model.forward(new AlbertInputs { InputIds = ids });
        TensorAssert.Close(before.LastHiddenState, after.LastHiddenState, "absolute table must be unused", atol: 0, rtol: 0);
    }

    [Theory]
    [InlineData(PositionEmbeddingType.RelativeKey)]
    [InlineData(PositionEmbeddingType.RelativeKeyQuery)]
    public void Inference_runs_the_fused_kernel_and_agrees_with_the_formula_path(PositionEmbeddingType type)
    {
        manual_seed(11);
        using var model = new AlbertModel(TinyModels.Config(positions: type));
        model.eval();
        using (no_grad())
        {
            foreach ((string name, Parameter p) in model.named_parameters())
            {
                if (name.Contains("distance_embedding", StringComparison.Ordinal))
                {
                    p.normal_(0, 0.5); // large enough that the relative scores decide where each position attends
                }
            }
        }

        using Tensor ids = tensor(new long[] { 2, 9, 14, 21, 3, 0, 2, 30, 7, 3, 0, 0 }).view(2, 6);
        using Tensor mask = ids.ne(0).to(ScalarType.Int64);
        using var inference = inference_mode();
        using InferenceSession<AlbertModelOutput> session = model.CompileForInference();
        using AlbertModelOutput fused = session.Run(new AlbertInputs { InputIds = ids, AttentionMask = mask });
        using AlbertModelOutput formula = model.forward(new AlbertInputs { InputIds = ids, AttentionMask = mask, OutputAttentions = true });

        TensorAssert.Close(formula.LastHiddenState, fused.LastHiddenState, $"{type} fused against formula", atol: 1e-5, rtol: 1e-5);
    }

    [Fact]
    public void Bfloat16_products_apply_to_relative_models()
    {
        manual_seed(12);
        using var model = new AlbertModel(TinyModels.Config(positions: PositionEmbeddingType.RelativeKeyQuery, hidden: 48, heads: 4, intermediate: 96));
        model.eval();
        using Tensor ids = tensor(new long[] { 2, 9, 14, 21, 33, 3 }).view(1, 6);
        using var inference = inference_mode();
        using AlbertModelOutput exact = model.forward(new AlbertInputs { InputIds = ids });
        if (!CpuFeatures.Current.HasNativeBFloat16)
        {
            log.WriteLine($"SKIPPED bfloat16 products: this CPU has no native bfloat16 (it has: {CpuFeatures.Current})");
            return;
        }

        using InferenceSession<AlbertModelOutput> session = model.CompileForInference(new InferenceOptions { MatMulDType = ScalarType.BFloat16 });
        using AlbertModelOutput mixed = session.Run(new AlbertInputs { InputIds = ids });

        Assert.Equal(ScalarType.Float32, mixed.LastHiddenState.dtype);
        using Tensor difference = exact.LastHiddenState.sub(mixed.LastHiddenState).abs().max();
        float error = difference.item<float>();
        Assert.True(error > 1e-5 && error < 0.1, $"bfloat16 products should move the output a little, not {error}");
    }

    [Fact]
    public void Absolute_models_have_no_distance_table()
    {
        using var model = new AlbertModel(TinyModels.Config());
        Assert.DoesNotContain(model.named_parameters(), p => p.name.Contains("distance_embedding", StringComparison.Ordinal));
    }
}
