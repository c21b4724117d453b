using AlbertGen.Modeling;
using AlbertGen.Training;
using TorchSharp;
using TorchSharp.Modules;
using AdamW = AlbertGen.Training.AdamW;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Training;

public class OptimizerTests
{
    [Fact]
    public void Weight_decay_excludes_every_bias_and_layer_norm_parameter()
    {
        using var model = new AlbertForPreTraining(TrainingFixtures.TinyConfig());
        IReadOnlyList<ParameterGroup> groups = ParameterGroups.Split(model, 0.01);
        var decay = groups[0].Parameters.Select(p => p.Name).ToList();
        var noDecay = groups[1].Parameters.Select(p => p.Name).ToList();
        Assert.Equal(0.01, groups[0].WeightDecay);
        Assert.Equal(0.0, groups[1].WeightDecay);
        Assert.All(noDecay, n => Assert.True(n.EndsWith("bias", StringComparison.Ordinal) || n.Contains("LayerNorm") || n.Contains("layer_norm"), n));
        Assert.All(decay, n => Assert.False(n.EndsWith("bias", StringComparison.Ordinal) || n.Contains("LayerNorm") || n.Contains("layer_norm"), n));
        Assert.Contains("albert.embeddings.LayerNorm.weight", noDecay);
        Assert.Contains("albert.encoder.albert_layer_groups.0.albert_layers.0.full_layer_layer_norm.weight", noDecay);
        Assert.Contains("predictions.bias", noDecay);
        Assert.Contains("albert.embeddings.word_embeddings.weight", decay);
        Assert.Contains("albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight", decay);
        Assert.Equal(model.parameters().Count(), decay.Count + noDecay.Count);
    }

    [Fact]
    public void AdamW_step_matches_the_hand_computed_update()
    {
        // p = [1, -2], g = [0.5, 0.25], lr = 0.1, wd = 0.01, β = (0.9, 0.999), ε = 1e-8, first step:
        // p ← p·(1 − lr·wd); m = 0.1·g; v = 0.001·g²; m̂ = g; v̂ = g²; p ← p − lr·m̂/(√v̂ + ε) = p − lr·sign(g)·(1 − tiny)
        using var p = new Parameter(tensor(new[] { 1.0, -2.0 }, ScalarType.Float64));
        p.grad = tensor(new[] { 0.5, 0.25 }, ScalarType.Float64);
        using var opt = new AdamW([new ParameterGroup("decay", [("p", p)], 0.01, true)]);
        opt.Step(0.1);
        double[] expected =
        [
            (1.0 * (1 - 0.001)) - (0.1 * 0.5 / (0.5 + 1e-8)),
            (-2.0 * (1 - 0.001)) - (0.1 * 0.25 / (0.25 + 1e-8)),
        ];
        Assert.Equal(expected, p.data<double>().ToArray(), new ToleranceComparer(1e-12));

        // Second step with g = [-0.5, 0.25]: m = 0.9·0.1·g1 + 0.1·g2, v = 0.999·0.001·g1² + 0.001·g2².
        double[] before = p.data<double>().ToArray();
        p.grad = tensor(new[] { -0.5, 0.25 }, ScalarType.Float64);
        opt.Step(0.1);
        double[] g1 = [0.5, 0.25], g2 = [-0.5, 0.25];
        for (int i = 0; i < 2; i++)
        {
            double m = (0.9 * 0.1 * g1[i]) + (0.1 * g2[i]);
            double v = (0.999 * 0.001 * g1[i] * g1[i]) + (0.001 * g2[i] * g2[i]);
            double mHat = m / (1 - (0.9 * 0.9)), vHat = v / (1 - (0.999 * 0.999));
            double want = (before[i] * (1 - 0.001)) - (0.1 * mHat / (Math.Sqrt(vHat) + 1e-8));
            Assert.Equal(want, p.data<double>()[i], 12);
        }
    }

    [Fact]
    public void Lamb_step_matches_the_hand_computed_update()
    {
        // p = [3, 4] (‖p‖ = 5), g = [1, -1], lr = 0.01, wd = 0.1, ε = 1e-6, no bias correction (ALBERT's LAMB):
        // m = 0.1·g, v = 0.001·g², u = m/(√v + ε) + wd·p, r = ‖p‖/‖u‖, p ← p − lr·r·u
        using var p = new Parameter(tensor(new[] { 3.0, 4.0 }, ScalarType.Float64));
        p.grad = tensor(new[] { 1.0, -1.0 }, ScalarType.Float64);
        using var opt = new Lamb([new ParameterGroup("decay", [("p", p)], 0.1, true)]);
        opt.Step(0.01);
        double[] g = [1, -1], w = [3, 4];
        double[] u = new double[2];
        for (int i = 0; i < 2; i++)
        {
            u[i] = (0.1 * g[i] / (Math.Sqrt(0.001 * g[i] * g[i]) + 1e-6)) + (0.1 * w[i]);
        }

        double ratio = 5.0 / Math.Sqrt((u[0] * u[0]) + (u[1] * u[1]));
        double[] expected = [w[0] - (0.01 * ratio * u[0]), w[1] - (0.01 * ratio * u[1])];
        Assert.Equal(expected, p.data<double>().ToArray(), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Lamb_skips_decay_and_trust_ratio_for_excluded_parameters()
    {
        using var p = new Parameter(tensor(new[] { 3.0, 4.0 }, ScalarType.Float64));
        p.grad = tensor(new[] { 1.0, -1.0 }, ScalarType.Float64);
        using var opt = new Lamb([new ParameterGroup("no_decay", [("p", p)], 0.0, false)]);
        opt.Step(0.01);
        double step = 0.01 * 0.1 / (Math.Sqrt(0.001) + 1e-6);
        Assert.Equal(new[] { 3.0 - step, 4.0 + step }, p.data<double>().ToArray(), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Optimizer_state_round_trips_through_a_file()
    {
        using var dir = new TempDirectory("training");
        using var p = new Parameter(tensor(new[] { 1.0f, 2.0f }));
        using var q = new Parameter(tensor(new[] { 1.0f, 2.0f }));
        using var a = new AdamW([new ParameterGroup("g", [("p", p)], 0.0, true)]);
        using var b = new AdamW([new ParameterGroup("g", [("p", q)], 0.0, true)]);
        p.grad = tensor(new[] { 0.3f, -0.7f });
        a.Step(0.1);
        string file = Path.Combine(dir.Path, "opt.safetensors");
        a.SaveState(file);
        b.LoadState(file);
        using (no_grad())
        {
            q.copy_(p);
        }

        p.grad = tensor(new[] { -0.2f, 0.5f });
        q.grad = tensor(new[] { -0.2f, 0.5f });
        a.Step(0.1);
        b.Step(0.1);
        Assert.Equal(1, b.StepCount - 1);
        Assert.Equal(p.data<float>().ToArray(), q.data<float>().ToArray());
    }

    [Fact]
    public void Global_norm_clipping_scales_all_gradients_together()
    {
        using var p = new Parameter(zeros(2, ScalarType.Float64));
        using var q = new Parameter(zeros(1, ScalarType.Float64));
        p.grad = tensor(new[] { 3.0, 0.0 }, ScalarType.Float64);
        q.grad = tensor(new[] { 4.0 }, ScalarType.Float64);
        double norm = GradientClipping.ClipGlobalNorm([p, q], 1.0);
        Assert.Equal(5.0, norm, 12);
        Assert.Equal(3.0 / (5 + 1e-6), p.grad!.data<double>()[0], 9);
        Assert.Equal(4.0 / (5 + 1e-6), q.grad!.data<double>()[0], 9);
        Assert.Equal(1.0, GradientClipping.ClipGlobalNorm([p, q], 10.0), 5);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
