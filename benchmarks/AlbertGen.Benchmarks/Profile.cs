using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Benchmarks;

/// <summary>
/// <c>profile B S [dtype]</c>: the forward pass against the sum of its parts, each op timed alone at the anchor's shapes,
/// to see where time goes (GEMMs, attention, element-wise, per-call overhead).
/// </summary>
internal static class Profile
{
    public static int Run(int batch, int sequence, ScalarType dtype)
    {
        set_num_threads(Program.Threads);
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        AlbertConfig c = AlbertConfigReader.ReadFile(Paths.Anchor);
        long t = (long)batch * sequence, h = c.HiddenSize, i = c.IntermediateSize, heads = c.NumAttentionHeads, d = h / heads;
        Tensor x = randn(batch, sequence, h).to(dtype);
        Tensor wH = randn(h, h).mul_(0.02).to(dtype), bH = zeros(h).to(dtype);
        Tensor w3 = randn(3 * h, h).mul_(0.02).to(dtype), b3 = zeros(3 * h).to(dtype);
        Tensor wI = randn(i, h).mul_(0.02).to(dtype), bI = zeros(i).to(dtype);
        Tensor wO = randn(h, i).mul_(0.02).to(dtype), bO = zeros(h).to(dtype);
        Tensor lnW = ones(h).to(dtype), lnB = zeros(h).to(dtype);
        Tensor inner = randn(batch, sequence, i).to(dtype);
        Tensor q = randn(batch, heads, sequence, d).to(dtype), k = randn(batch, heads, sequence, d).to(dtype), v = randn(batch, heads, sequence, d).to(dtype);
        Tensor mask = zeros(batch, 1, 1, sequence).to(dtype);
        Tensor qkv = randn(batch, sequence, 3 * h).to(dtype);

        var parts = new (string Name, int PerLayer, Action Op)[]
        {
            ("linear H→H (q, k, v, dense)", 4, () => nn.functional.linear(x, wH, bH).Dispose()),
            ("linear H→3H (fused qkv)", 0, () => nn.functional.linear(x, w3, b3).Dispose()),
            ("linear H→I (ffn)", 1, () => nn.functional.linear(x, wI, bI).Dispose()),
            ("linear I→H (ffn_output)", 1, () => nn.functional.linear(inner, wO, bO).Dispose()),
            ("gelu tanh [B,S,I]", 1, () => nn.functional.gelu(inner, GELU.Approximate.tanh).Dispose()),
            ("sdpa [B,heads,S,d] + mask", 1, () => nn.functional.scaled_dot_product_attention(q, k, v, mask).Dispose()),
            ("layer_norm [B,S,H]", 2, () => nn.functional.layer_norm(x, [h], lnW, lnB, c.LayerNormEps).Dispose()),
            ("add_ residual [B,S,H]", 2, () => x.add_(x, alpha: 0.0)),
            ("view+transpose ×3 (split heads)", 1, () =>
            {
                using Tensor a = x.view(batch, sequence, heads, d).transpose(1, 2);
                using Tensor b = x.view(batch, sequence, heads, d).transpose(1, 2);
                using Tensor e = x.view(batch, sequence, heads, d).transpose(1, 2);
            }),
            ("merge heads transpose+reshape copy", 1, () =>
            {
                using Tensor a = q.transpose(1, 2).reshape(batch, sequence, h);
            }),
            ("split fused qkv (chunk views)", 0, () =>
            {
                using Tensor a = qkv.view(batch, sequence, 3, heads, d).permute(2, 0, 3, 1, 4);
                Tensor[] parts3 = a.unbind(0);
                foreach (Tensor p in parts3)
                {
                    p.Dispose();
                }
            }),
            ("tiny op (x.add_(0))", 0, () => x.add_(0.0)),
        };

        Console.WriteLine($"profile {batch}x{sequence} {dtype}, {get_num_threads()} threads; load {Machine.LoadAverage()}");
        Console.WriteLine("| op | median µs | per layer | ×layers ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        double sum = 0;
        int runs = t >= 1024 ? 10 : 50;
        foreach ((string name, int perLayer, Action op) in parts)
        {
            double ms = Timing.Median(Timing.Interleaved([op], 3, runs, block: runs)[0]);
            double total = ms * perLayer * c.NumHiddenLayers;
            sum += total;
            Console.WriteLine($"| {name} | {ms * 1000:0} | {perLayer} | {total.ToString("0.00", CultureInfo.InvariantCulture)} |");
        }

        using var engine = AlbertGenEngine.Load(Paths.Anchor, dtype, "AlbertGen");
        using IPreparedRun run = engine.Prepare(BatchInputs.Random(batch, sequence, c.VocabSize, 1));
        double forward = Timing.Median(Timing.Interleaved([run.Run], 2, t >= 1024 ? 5 : 20, block: 20)[0]);
        Console.WriteLine($"sum of parts {sum:0.00} ms; forward {forward:0.00} ms; load {Machine.LoadAverage()}");
        return 0;
    }
}
