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

        // ONNX Runtime's export has no masked-LM head, so both int8 engines' last hidden states go through the same
        // float32 head (the anchor's own predictions weights): the agreement of the two engines is then comparable.
        using AlbertGenEngine fp32 = AlbertGenEngine.Load(Paths.Anchor, ScalarType.Float32, "AlbertGen float32");
        using var head = new AnchorMaskedLMHead(Paths.Anchor, anchor);
        long albertAgreeing = 0, ortAgreeing = 0, positions = 0;
        for (int i = 0; i < 4; i++)
        {
            BatchInputs random = BatchInputs.Random(8, 128, anchor.VocabSize, inputSeed + 100 + i);
            long[] reference = head.TopOne(Hidden(fp32, random), random);
            long[] albertTop = head.TopOne(Hidden(albert, random), random);
            long[] ortTop = head.TopOne(Hidden(ortInt8, random), random);
            albertAgreeing += reference.Zip(albertTop).Count(p => p.First == p.Second);
            ortAgreeing += reference.Zip(ortTop).Count(p => p.First == p.Second);
            positions += random.Tokens;
        }

        Console.WriteLine($"- masked-LM top-1 agreement with AlbertGen float32 (anchor, 4 × 8×128 random ids, float32 head): AlbertGen int8 {albertAgreeing}/{positions} = {100.0 * albertAgreeing / positions:0.00} %, ONNX Runtime int8 {ortAgreeing}/{positions} = {100.0 * ortAgreeing / positions:0.00} %");
        TrainedModelAgreement();
    }

    private static float[] Hidden(IEngine engine, BatchInputs batch)
    {
        using IPreparedRun run = engine.Prepare(batch);
        return run.RunAndRead().LastHiddenState;
    }

    /// <summary>
    /// The anchor's weights are random, so its masked-LM logits are nearly flat and a small error flips the top-1. The
    /// project's own pretrained model (<c>models/shakespeare</c>) is a trained one: mask 15 % of the words of Shakespeare
    /// lines and compare int8 (forced: its products are below the automatic choice's size) with float32 there.
    /// </summary>
    private static void TrainedModelAgreement()
    {
        string directory = Path.Combine(Paths.RepositoryRoot, "models", "shakespeare");
        var tokenizer = Tokenization.AlbertTokenizer.FromDirectory(directory);
        using AlbertForMaskedLM mlm = AlbertForMaskedLM.FromPretrained(directory);
        using InferenceSession<MaskedLMOutput> fp32 = mlm.CompileForInference();
        using InferenceSession<MaskedLMOutput> int8 = mlm.CompileForInference(new InferenceOptions { Kernel = ProductKernel.OneDnnInt8 });
        int sequence = mlm.Config.MaxPositionEmbeddings;
        var random = new Random(20261203);
        long masked = 0, agreeing = 0, fp32Right = 0, int8Right = 0;
        foreach (int[][] rows in ShakespeareWindows(tokenizer, sequence).Take(512).Chunk(32))
        {
            using var scope = NewDisposeScope();
            var ids = new long[rows.Length * sequence];
            var attention = new long[ids.Length];
            var truth = new long[ids.Length];
            Array.Fill(truth, -1);
            for (int r = 0; r < rows.Length; r++)
            {
                for (int t = 0; t < rows[r].Length; t++)
                {
                    int at = r * sequence + t;
                    ids[at] = rows[r][t];
                    attention[at] = 1;
                    bool special = t == 0 || t == rows[r].Length - 1;
                    if (!special && random.NextDouble() < 0.15)
                    {
                        truth[at] = ids[at];
                        ids[at] = tokenizer.MaskTokenId;
                    }
                }
            }

            long[] shape = [rows.Length, sequence];
            var inputs = new AlbertInputs { InputIds = tensor(ids, shape), AttentionMask = tensor(attention, shape) };
            using MaskedLMOutput a = fp32.Run(inputs);
            using MaskedLMOutput b = int8.Run(inputs);
            long[] topA = a.Logits.argmax(-1).flatten().data<long>().ToArray(), topB = b.Logits.argmax(-1).flatten().data<long>().ToArray();
            for (int i = 0; i < truth.Length; i++)
            {
                if (truth[i] >= 0)
                {
                    masked++;
                    agreeing += topA[i] == topB[i] ? 1 : 0;
                    fp32Right += topA[i] == truth[i] ? 1 : 0;
                    int8Right += topB[i] == truth[i] ? 1 : 0;
                }
            }
        }

        Console.WriteLine($"- masked-LM top-1 agreement with float32 (models/shakespeare, a trained model; 512 windows of corpus text, 15 % masked, int8 forced on every product): {agreeing}/{masked} = {100.0 * agreeing / masked:0.00} %; masked words predicted right: float32 {100.0 * fp32Right / masked:0.00} %, int8 {100.0 * int8Right / masked:0.00} %");
    }

    /// <summary>Consecutive corpus lines joined into windows of at most <paramref name="sequence"/> tokens, with [CLS] and [SEP].</summary>
    private static IEnumerable<int[]> ShakespeareWindows(Tokenization.AlbertTokenizer tokenizer, int sequence)
    {
        var window = new List<string>();
        int length = 0;
        foreach (string line in File.ReadLines(Path.Combine(Paths.Shared, "corpora", "tinyshakespeare.txt")).Where(l => l.Trim().Length > 0))
        {
            int lineLength = tokenizer.EncodeToIds(line, addSpecialTokens: false).Length;
            if (length + lineLength > sequence - 2 && window.Count > 0)
            {
                int[] ids = tokenizer.EncodeToIds(string.Join(' ', window));
                if (ids.Length <= sequence)
                {
                    yield return ids;
                }

                window.Clear();
                length = 0;
            }

            if (lineLength <= sequence - 2)
            {
                window.Add(line);
                length += lineLength;
            }
        }
    }
}
