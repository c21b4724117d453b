using AlbertGen.Checkpoints;
using AlbertGen.Configuration;
using AlbertGen.Inference;
using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Benchmarks;

/// <summary>
/// The <c>int8</c> section: AlbertGen with int8 products (<see cref="InferenceOptions.Int8"/>) against ONNX Runtime's int8
/// peer (<c>albert_model_int8.onnx</c>, <c>DynamicQuantizeMatMul</c>) and its float32 model, in the same run; accuracy
/// against the 2×16 golden and against AlbertGen float32; prints the <c>ratio_vs_ort_int8</c> line.
/// </summary>
internal static class Int8Section
{
    private static readonly (int Batch, int Sequence)[] Shapes = [(1, 16), (1, 128), (8, 128), (32, 128)];

    public static void Run(BenchmarkSettings settings, AlbertConfig anchor, int inputSeed)
    {
        Console.WriteLine("## int8: AlbertGen int8 vs ONNX Runtime int8 and float32 (anchor, AlbertModel outputs, random ids, full masks)");
        Console.WriteLine();
        using AlbertGenEngine albert = AlbertGenEngine.Load(Paths.Anchor, new LoadOptions(), new InferenceOptions { Int8 = true }, "AlbertGen int8");
        using var ortInt8 = new OrtEngine(Path.Combine(Paths.Anchor, "albert_model_int8.onnx"), Program.Threads);
        using var ortFp32 = new OrtEngine(Paths.AnchorOnnx, Program.Threads);
        var kernels = albert.Session.Products.Where(p => p.Group == 0 && p.Layer == 0).Select(p => $"{p.Product} {p.Kernel}");
        Console.WriteLine($"- CPU features: {albert.Session.Cpu}; AlbertGen int8 kernels: {string.Join(", ", kernels)}");
        foreach (string warning in albert.Session.Warnings)
        {
            Console.WriteLine($"- warning: {warning}");
        }

        Console.WriteLine();
        Console.WriteLine("| B×S | runs | AlbertGen int8 ms | ORT int8 ms | ORT fp32 ms | ratio vs ORT int8 | throughput × ORT fp32 | max abs diff hidden vs ORT int8 | load |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var ratios = new Dictionary<string, double>(StringComparer.Ordinal);
        double? throughput = null;
        foreach ((int b, int s) in Shapes)
        {
            BatchInputs batch = BatchInputs.Random(b, s, anchor.VocabSize, inputSeed + b + s);
            using IPreparedRun a = albert.Prepare(batch);
            using IPreparedRun q = ortInt8.Prepare(batch);
            using IPreparedRun f = ortFp32.Prepare(batch);
            float[] ah = a.RunAndRead().LastHiddenState, qh = q.RunAndRead().LastHiddenState;
            double estimate = Timing.Once(a.Run);
            int runs = b >= 8 ? settings.RunsLarge : settings.Runs;
            List<double>[] samples = Timing.Interleaved([a.Run, q.Run, f.Run], settings.Warmup, runs, b >= 8 ? 1 : Timing.BlockFor(estimate));
            double am = Timing.Median(samples[0]), qm = Timing.Median(samples[1]), fm = Timing.Median(samples[2]);
            ratios[batch.Label] = am / qm;
            if (b == 8)
            {
                throughput = fm / am;
            }

            double diff = ah.Zip(qh, (x, y) => Math.Abs(x - y)).Max();
            Console.WriteLine($"| {batch.Label} | {runs} | {am:0.0} | {qm:0.0} | {fm:0.0} | {am / qm:0.00} | {fm / am:0.00} | {diff:0.000} | {Machine.LoadAverage()} |");
        }

        Console.WriteLine();
        Accuracy(albert, ortInt8, anchor, inputSeed);
        Console.WriteLine("ratio_vs_ort_int8 " + string.Join(' ', Shapes.Select(s => $"{s.Batch}x{s.Sequence}={(ratios.TryGetValue($"{s.Batch}x{s.Sequence}", out double r) ? r.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "n/a")}"))
            + $" throughput_vs_ort_fp32 8x128={throughput?.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) ?? "n/a"}");
        Console.WriteLine();
    }

    /// <summary>Hidden-state error of both int8 engines on the golden 2×16, and AlbertGen int8's masked-LM agreement with float32.</summary>
    private static void Accuracy(AlbertGenEngine albert, OrtEngine ortInt8, AlbertConfig anchor, int inputSeed)
    {
        using var scope = NewDisposeScope();
        using SafetensorsFile golden = SafetensorsFile.Open(Path.Combine(Paths.Anchor, "golden_2x16.safetensors"));
        Tensor ids = golden.ReadTensor("input_ids"), mask = golden.ReadTensor("attention_mask"), types = golden.ReadTensor("token_type_ids");
        float[] expected = golden.ReadTensor("last_hidden_state").contiguous().data<float>().ToArray();
        var batch = new BatchInputs((int)ids.shape[0], (int)ids.shape[1], ids.data<long>().ToArray(), mask.data<long>().ToArray(), types.data<long>().ToArray());
        foreach (IEngine engine in new IEngine[] { albert, ortInt8 })
        {
            using IPreparedRun run = engine.Prepare(batch);
            float[] hidden = run.RunAndRead().LastHiddenState;
            double[] diffs = [.. hidden.Zip(expected, (x, y) => (double)Math.Abs(x - y))];
            Console.WriteLine($"- golden 2×16, {(engine == albert ? "AlbertGen int8" : "ONNX Runtime int8")}: last_hidden_state max abs diff {diffs.Max():0.000}, mean {diffs.Average():0.000}");
        }

        using AlbertForMaskedLM mlm = AlbertForMaskedLM.FromPretrained(Paths.Anchor);
        mlm.eval();
        using InferenceSession<MaskedLMOutput> fp32 = mlm.CompileForInference();
        using InferenceSession<MaskedLMOutput> int8 = mlm.CompileForInference(new InferenceOptions { Int8 = true });
        long agreeing = 0, positions = 0;
        for (int i = 0; i < 4; i++)
        {
            using var inner = NewDisposeScope();
            BatchInputs random = BatchInputs.Random(8, 128, anchor.VocabSize, inputSeed + 100 + i);
            long[] shape = [random.Batch, random.Sequence];
            var inputs = new AlbertInputs { InputIds = tensor(random.InputIds, shape), AttentionMask = tensor(random.AttentionMask, shape), TokenTypeIds = tensor(random.TokenTypeIds, shape) };
            using MaskedLMOutput a = fp32.Run(inputs);
            using MaskedLMOutput b = int8.Run(inputs);
            agreeing += a.Logits.argmax(-1).eq(b.Logits.argmax(-1)).sum().item<long>();
            positions += random.Tokens;
        }

        Console.WriteLine($"- masked-LM top-1 agreement with AlbertGen float32 (anchor, 4 × 8×128 random ids): {agreeing}/{positions} = {100.0 * agreeing / positions:0.00} %");
    }
}
