using System.Reflection;
using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Benchmarks.Server;

/// <summary>The two models measured: the shipped default model, and the albert-base-sized anchor cut to a real vocabulary.</summary>
internal static class BenchmarkModels
{
    private static string Metadata(string key) =>
        typeof(BenchmarkModels).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    /// <summary>models/shakespeare.</summary>
    public static string Default => Path.Combine(Metadata("RepositoryRoot"), "models", "shakespeare");

    /// <summary>The Shakespeare corpus the request texts come from.</summary>
    public static string Corpus => Path.Combine(Metadata("SharedFolder"), "corpora", "tinyshakespeare.txt");

    /// <summary>
    /// The albert-base-v2-shaped random anchor (a pre-training checkpoint) as a masked-LM checkpoint with its vocabulary
    /// cut to the default model's 5000-piece SentencePiece vocabulary (the first 5000 rows of the word-embedding table and
    /// of the decoder's bias), saved with that tokenizer in a temporary folder: the anchor's 30000-id table has no tokenizer
    /// of its own here, and the compute per token does not depend on the table size. A head checkpoint, like the default
    /// model, so the server loads it as it loads a real one (the head model, its encoder serving the embedding routes).
    /// </summary>
    public static string AnchorWithRealVocabulary()
    {
        string anchor = Path.Combine(Metadata("SharedFolder"), "anchors", "albert-base-v2-random");
        string target = Path.Combine(Path.GetTempPath(), "albertgen-serve-bench-anchor-mlm");
        if (File.Exists(Path.Combine(target, "model.safetensors")))
        {
            return target;
        }

        string staging = target + ".partial";
        Directory.CreateDirectory(staging);
        File.Copy(Path.Combine(Default, "spiece.model"), Path.Combine(staging, "spiece.model"), overwrite: true);
        int vocabulary = AlbertConfigReader.ReadFile(Default).VocabSize;
        File.WriteAllText(Path.Combine(staging, "config.json"),
            File.ReadAllText(Path.Combine(anchor, "config.json")).Replace("\"vocab_size\": 30000", $"\"vocab_size\": {vocabulary}", StringComparison.Ordinal));
        using (var scope = NewDisposeScope())
        using (AlbertForMaskedLM source = AlbertForMaskedLM.FromPretrained(anchor))
        using (var cut = new AlbertForMaskedLM(AlbertConfigReader.ReadFile(staging)))
        using (no_grad())
        {
            var sources = source.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach ((string name, TorchSharp.Modules.Parameter parameter) in cut.named_parameters())
            {
                Tensor from = sources[name];
                parameter.copy_(from.shape[0] == parameter.shape[0] ? from : from.narrow(0, 0, parameter.shape[0]));
            }

            cut.Save(staging);
        }

        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
        }

        Directory.Move(staging, target);
        return target;
    }
}
