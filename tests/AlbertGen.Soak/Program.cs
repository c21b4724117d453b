using System.Reflection;
using AlbertGen;
using AlbertGen.Modeling;
using AlbertGen.Soak;
using AlbertGen.Tokenization;

// dotnet run -c Release --project tests/AlbertGen.Soak -- [--tiny N] [--anchor N] [--tokenizer N] [--shared DIR] [--heap-trimming on|off]
// Defaults: 20000 tiny fill-mask inferences, 200 anchor (albert-base-v2-shaped) inferences, 100000 tokenizer calls, the
// library's heap trimming on (off shows glibc's own behaviour: see AlbertGen.Runtime.NativeHeapTrimming).
// Exit code 1 when an RSS growth after warm-up is 5 % or more, or live tensors grew.
int tiny = 20000, anchor = 200, tokenizerCalls = 100000;
string shared = typeof(SoakRunner).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "SharedFolder").Value!;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--tiny": tiny = int.Parse(args[i + 1]); break;
        case "--anchor": anchor = int.Parse(args[i + 1]); break;
        case "--tokenizer": tokenizerCalls = int.Parse(args[i + 1]); break;
        case "--shared": shared = args[i + 1]; break;
        case "--heap-trimming": AlbertGen.Runtime.NativeHeapTrimming.Enabled = args[i + 1] != "off"; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

Console.WriteLine($"torch threads {TorchSharp.torch.get_num_threads()}, {Environment.ProcessorCount} processors, heap trimming {(AlbertGen.Runtime.NativeHeapTrimming.Enabled ? "on" : "off")}, RSS at start {SoakRunner.ReadRssBytes() / 1048576.0:F1} MB");
string[] texts = SoakRunner.Texts(Path.Combine(shared, "corpora", "tinyshakespeare.txt"), 500);
AlbertTokenizer tokenizer = AlbertTokenizer.FromFile(Path.Combine(shared, "fixtures", "tokenizer", "spiece.model"));
var results = new List<SoakFigures>();

results.Add(SoakRunner.Run("tokenizer", 20000, tokenizerCalls, SoakRunner.TokenizerStep(tokenizer, texts), Console.WriteLine));
Console.WriteLine(results[^1]);

using (AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(Path.Combine(shared, "fixtures", "models", "tiny")))
{
    using var pipeline = new AlbertGen.Tasks.FillMaskPipeline(model, tokenizer);
    results.Add(SoakRunner.Run("tiny fill-mask pipeline", 500, tiny, SoakRunner.FillMaskStep(pipeline, texts), Console.WriteLine));
    Console.WriteLine(results[^1]);
}

using (AlbertModel model = AlbertModel.FromPretrained(Path.Combine(shared, "anchors", "albert-base-v2-random")))
{
    // Warm-up: every length from 16 to 128 once (see RandomIdsStep), then random lengths.
    results.Add(SoakRunner.Run("anchor", 128 - 16 + 1, anchor, SoakRunner.RandomIdsStep(model, 16, 128), Console.WriteLine));
    Console.WriteLine(results[^1]);
}

Console.WriteLine();
Console.WriteLine("| loop | calls | seconds | RSS after warm-up (MB) | RSS at end (MB) | growth | managed (MB) | live tensors |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |");
foreach (SoakFigures f in results)
{
    Console.WriteLine(FormattableString.Invariant(
        $"| {f.Name} | {f.Iterations} | {f.Elapsed.TotalSeconds:F1} | {f.RssWarmBytes / 1048576.0:F1} | {f.RssEndBytes / 1048576.0:F1} | {f.RssGrowth * 100:+0.00;-0.00} % | {f.ManagedWarmBytes / 1048576.0:F1} → {f.ManagedEndBytes / 1048576.0:F1} | {f.TensorsWarm} → {f.TensorsEnd} |"));
}

bool ok = results.All(f => f.RssGrowth < 0.05 && f.TensorsEnd <= f.TensorsWarm);
Console.WriteLine(ok ? "PASS: RSS growth < 5 % and no live-tensor growth in every loop." : "FAIL: see the table.");
return ok ? 0 : 1;
