using System.Globalization;
using AlbertGen.Checkpoints;
using AlbertGen.Configuration;
using AlbertGen.Inference;
using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Benchmarks;

/// <summary>
/// An <c>int8</c> section: AlbertGen with int8 products (<see cref="InferenceOptions.Int8"/>) against ONNX Runtime's int8
/// peer (<c>albert_model_int8.onnx</c>, <c>DynamicQuantizeMatMul</c>) and its float32 model, in the same run; accuracy
/// against the 2×16 golden and masked-LM agreement with float32 for both int8 engines.
/// </summary>
/// <remarks>
/// Whether AlbertGen ran int8 is read from the session's product kernels (an int8 kernel's name says <c>int8</c>), not
/// assumed from the option: a session that runs every product in float32 (the CPU or the products' sizes did not warrant
/// int8) gets no AlbertGen column and no ratio, only the reason, so float32 timings are never labelled int8.
/// </remarks>
internal static class Int8Section
{
    /// <summary>What a section gives the ratio lines.</summary>
    /// <param name="Ratios">AlbertGen int8 time / ORT int8 time per shape; null when AlbertGen did not run int8.</param>
    /// <param name="ThroughputVsOrtFp32">ORT float32 time / AlbertGen int8 time at 8×128.</param>
    /// <param name="NotRun">Why AlbertGen did not run int8 (null when it did).</param>
    public sealed record Result(IReadOnlyDictionary<string, double>? Ratios, double? ThroughputVsOrtFp32, string? NotRun)
    {
        /// <summary>The ratio line's fields after its name.</summary>
        public string Fields => NotRun is null
            ? $"{Shapes.RatioFields(Ratios)} throughput_vs_ort_fp32 8x128={Numbers.Ratio(ThroughputVsOrtFp32)}"
            : $"none (AlbertGen ran no int8 product: {NotRun})";
    }

    public static Result Run(BenchmarkSettings settings, AnchorModel anchor, MachineLimits limits, int inputSeed)
    {
        Console.WriteLine($"## int8: AlbertGen int8 vs ONNX Runtime int8 and float32, {anchor.Title} (AlbertModel outputs, random ids, full masks)");
        Console.WriteLine();
        AlbertGenEngine? albert = null;
        string? notRun;
        try
        {
            albert = AlbertGenEngine.Load(anchor.Directory, new LoadOptions(), new InferenceOptions { Int8 = true }, "AlbertGen int8");
            IReadOnlyList<ProductKernelChoice> products = albert.Session.Products;
            int int8Products = products.Count(p => WeightTraffic.BytesPerElement(p.Kernel) == 1);
            Console.WriteLine($"- CPU features: {albert.Session.Cpu}; AlbertGen kernels with `Int8 = true`: {WeightTraffic.KernelSummary(products)}; {int8Products} of {products.Count} products on int8 kernels");
            foreach (string warning in albert.Session.Warnings)
            {
                Console.WriteLine($"- warning: {warning}");
            }

            notRun = int8Products > 0 ? null : $"every product is on {string.Join(", ", products.Select(p => p.Kernel).Distinct())}"
                + (albert.Session.Warnings.Count > 0 ? $"; the session says: {string.Join(" ", albert.Session.Warnings).TrimEnd('.')}" : "");
        }
        catch (NotSupportedException e)
        {
            notRun = e.Message;
        }

        try
        {
            if (notRun is not null)
            {
                Console.WriteLine($"- **AlbertGen int8 not run**: {notRun}. No AlbertGen int8 timing or ratio is reported; "
                    + (settings.Quick ? "ONNX Runtime's int8 is not timed either in a quick run (a full run times it against its float32 for reference)." : "ONNX Runtime's int8 and float32 are timed for reference."));
                albert?.Dispose();
                albert = null;
            }

            double bytesPerPass = albert is null ? double.NaN : WeightTraffic.BytesPerPass(anchor.Config, albert.Session.Products);
            if (albert is not null)
            {
                Console.WriteLine($"- weight bytes read per pass (int8 products at 1 byte a weight): {bytesPerPass / (1 << 20):0.0} MiB; int8 peak used below: {limits.Int8Peak:0} GOP/s");
            }

            using var ortInt8 = new OrtEngine(anchor.Int8Onnx, Program.Threads);
            using var ortFp32 = new OrtEngine(anchor.Onnx, Program.Threads);
            bool timed = albert is not null || !settings.Quick;
            Console.WriteLine();
            if (timed)
            {
                Console.WriteLine("| B×S | runs | AlbertGen int8 ms | ORT int8 ms | ORT fp32 ms | ratio vs ORT int8 | throughput × ORT fp32 | ORT int8 speed-up over its fp32 | AlbertGen GOP/s (% of int8 peak) | weights GB/s (% of bandwidth) | max abs diff hidden vs ORT int8 | load |");
                Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            }

            var ratios = new Dictionary<string, double>(StringComparer.Ordinal);
            double? throughput = null;
            foreach ((int b, int s) in timed ? Shapes.All : [])
            {
                BatchInputs batch = BatchInputs.Random(b, s, anchor.Config.VocabSize, inputSeed + b + s);
                using IPreparedRun? a = albert?.Prepare(batch);
                using IPreparedRun q = ortInt8.Prepare(batch);
                using IPreparedRun f = ortFp32.Prepare(batch);
                float[] qh = q.RunAndRead().LastHiddenState;
                float[]? ah = a?.RunAndRead().LastHiddenState;
                double estimate = Timing.Once(a is null ? q.Run : a.Run);
                (int warmup, int runs) = Fp32Section.Counts(settings, b, estimate);
                Action[] actions = a is null ? [q.Run, f.Run] : [a.Run, q.Run, f.Run];
                List<double>[] samples = Timing.Interleaved(actions, warmup, runs, estimate >= 200 ? 1 : Timing.BlockFor(estimate));
                int first = a is null ? 0 : 1;
                double qm = Timing.Median(samples[first]), fm = Timing.Median(samples[first + 1]);
                string cells;
                if (a is not null)
                {
                    double am = Timing.Median(samples[0]);
                    ratios[batch.Label] = am / qm;
                    if (b == 8)
                    {
                        throughput = fm / am;
                    }

                    double ops = Numbers.Gflops(Flops.AlbertModel(anchor.Config, b, s), am);
                    string traffic = b * s <= 16 ? $"{bytesPerPass / (am * 1e6):0.0} ({Numbers.Percent(bytesPerPass / (am * 1e6), limits.Bandwidth.Limit)})" : "–";
                    cells = $"{am:0.00} | {qm:0.00} | {fm:0.00} | {am / qm:0.00} | {fm / am:0.00} | {fm / qm:0.00} | {ops:0.0} ({Numbers.Percent(ops, limits.Int8Peak)}) | {traffic} | {Numbers.MaxAbsDiff(ah!, qh):0.000}";
                }
                else
                {
                    cells = $"not run | {qm:0.00} | {fm:0.00} | – | – | {fm / qm:0.00} | – | – | –";
                }

                Console.WriteLine($"| {batch.Label} | {runs} | {cells} | {Machine.LoadAverage()} |");
            }

            if (timed)
            {
                Console.WriteLine();
            }

            Accuracy(albert, ortInt8, anchor, inputSeed);
            Console.WriteLine();
            return new Result(notRun is null ? ratios : null, throughput, notRun);
        }
        finally
        {
            albert?.Dispose();
        }
    }

    /// <summary>
    /// Hidden-state error of both int8 engines on the golden 2×16, and their masked-LM top-1 agreement with AlbertGen float32
    /// through the same float32 head (ONNX Runtime's exports have none).
    /// </summary>
    private static void Accuracy(AlbertGenEngine? albert, OrtEngine ortInt8, AnchorModel anchor, int inputSeed)
    {
        using var scope = NewDisposeScope();
        using SafetensorsFile golden = SafetensorsFile.Open(anchor.Golden);
        Tensor ids = golden.ReadTensor("input_ids"), mask = golden.ReadTensor("attention_mask"), types = golden.ReadTensor("token_type_ids");
        float[] expected = golden.ReadTensor("last_hidden_state").contiguous().data<float>().ToArray();
        var batch = new BatchInputs((int)ids.shape[0], (int)ids.shape[1], ids.data<long>().ToArray(), mask.data<long>().ToArray(), types.data<long>().ToArray());
        var engines = new List<(string Name, IEngine Engine)> { ("ONNX Runtime int8", ortInt8) };
        if (albert is not null)
        {
            engines.Insert(0, ("AlbertGen int8", albert));
        }

        foreach ((string name, IEngine engine) in engines)
        {
            using IPreparedRun run = engine.Prepare(batch);
            float[] hidden = run.RunAndRead().LastHiddenState;
            double[] diffs = [.. hidden.Zip(expected, (x, y) => (double)Math.Abs(x - y))];
            Console.WriteLine($"- golden 2×16, {name}: last_hidden_state max abs diff {diffs.Max():0.000}, mean {diffs.Average():0.000}");
        }

        using AlbertGenEngine fp32 = AlbertGenEngine.Load(anchor.Directory, ScalarType.Float32, "AlbertGen float32");
        using var head = new AnchorMaskedLMHead(anchor);
        var agreeing = new long[engines.Count];
        long positions = 0;
        for (int i = 0; i < 4; i++)
        {
            BatchInputs random = BatchInputs.Random(8, 128, anchor.Config.VocabSize, inputSeed + 100 + i);
            long[] reference = head.TopOne(Hidden(fp32, random), random);
            for (int e = 0; e < engines.Count; e++)
            {
                agreeing[e] += reference.Zip(head.TopOne(Hidden(engines[e].Engine, random), random)).Count(p => p.First == p.Second);
            }

            positions += random.Tokens;
        }

        string figures = string.Join(", ", engines.Select((e, i) => $"{e.Name} {agreeing[i]}/{positions} = {(100.0 * agreeing[i] / positions).ToString("0.00", CultureInfo.InvariantCulture)} %"));
        Console.WriteLine($"- masked-LM top-1 agreement with AlbertGen float32 ({anchor.Name} anchor, 4 × 8×128 random ids, {head.Kind}): {figures}{(albert is null ? "; AlbertGen int8 not run" : "")}");
        if (anchor == AnchorModel.Small)
        {
            try
            {
                TrainedModelAgreement();
            }
            catch (NotSupportedException e)
            {
                Console.WriteLine($"- masked-LM agreement on models/shakespeare: not run: {e.Message}");
            }
        }
    }

    private static float[] Hidden(IEngine engine, BatchInputs batch)
    {
        using IPreparedRun run = engine.Prepare(batch);
        return run.RunAndRead().LastHiddenState;
    }

    /// <summary>
    /// The anchor's weights are random, so its masked-LM logits are nearly flat and a small error flips the top-1. The
    /// project's own pretrained model (<c>models/shakespeare</c>) is a trained one: mask 15 % of the words of Shakespeare
    /// lines and compare int8 with float32 there: the session's own choice with <c>Int8 = true</c>, or, where that runs no
    /// int8 product (its products may be below the automatic choice's size), every product forced onto oneDNN's int8 kernel.
    /// </summary>
    private static void TrainedModelAgreement()
    {
        string directory = Path.Combine(Paths.RepositoryRoot, "models", "shakespeare");
        var tokenizer = Tokenization.AlbertTokenizer.FromDirectory(directory);
        using AlbertForMaskedLM mlm = AlbertForMaskedLM.FromPretrained(directory);
        using InferenceSession<MaskedLMOutput> fp32 = mlm.CompileForInference();
        InferenceSession<MaskedLMOutput> chosen = mlm.CompileForInference(new InferenceOptions { Int8 = true });
        bool forced = !WeightTraffic.AnyInt8(chosen.Products);
        if (forced)
        {
            chosen.Dispose();
            chosen = mlm.CompileForInference(new InferenceOptions { Kernel = ProductKernel.OneDnnInt8 });
        }

        using InferenceSession<MaskedLMOutput> int8 = chosen;
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

        Console.WriteLine($"- masked-LM top-1 agreement with float32 (models/shakespeare, a trained model; 512 windows of corpus text, 15 % masked, {(forced ? "`Int8 = true` chose no int8 product, so every product forced onto " : "kernels ")}{WeightTraffic.KernelSummary(int8.Products)}): {agreeing}/{masked} = {100.0 * agreeing / masked:0.00} %; masked words predicted right: float32 {100.0 * fp32Right / masked:0.00} %, int8 {100.0 * int8Right / masked:0.00} %");
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
