using AlbertGen.Fuzz;
using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Fuzz;

/// <summary>
/// Every committed fuzz input (tests/fuzz/corpus/&lt;target&gt;/, seeds, inputs AFL++ kept and the regression inputs of
/// fixed crashes) goes through its harness's entry function: nothing but the documented exceptions may escape.
/// </summary>
public sealed class FuzzCorpusReplayTests
{
    private static readonly Lazy<AlbertTokenizer> Tokenizer = new(() => AlbertTokenizer.FromFile(Path.Combine(SharedFolder.Tokenizer, "spiece.model")));

    public static TheoryData<string> Targets() => new(FuzzTargetNames.All);

    [Theory]
    [MemberData(nameof(Targets))]
    public void Committed_corpus_replays_without_findings(string target)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", target);
        string[] files = Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(files);
        using var temp = new TempDirectory("replay");
        string scratch = temp.File("scratch.safetensors");
        var findings = new List<string>();
        foreach (string file in files)
        {
            try
            {
                FuzzTargets.Run(target, File.ReadAllBytes(file), Tokenizer.Value, scratch);
            }
            catch (Exception e)
            {
                findings.Add($"{Path.GetFileName(file)}: {e.GetType().Name}: {e.Message}");
            }
        }

        Assert.True(findings.Count == 0, $"{findings.Count} of {files.Length} inputs failed:\n" + string.Join("\n", findings));
    }

    [Fact]
    public void Generated_seed_models_load_so_the_fuzzer_gets_past_parsing()
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", FuzzTargetNames.Spiece);
        foreach (string seed in Directory.GetFiles(folder, "seed-*"))
        {
            using FileStream stream = File.OpenRead(seed);
            AlbertTokenizer tokenizer = AlbertTokenizer.FromStream(stream);
            Assert.Equal(new[] { "▁the", "▁a", "b" }, tokenizer.Tokenize("the ab"));
        }
    }

    [Fact]
    public void Generated_seed_tokenizer_json_files_load_as_fast_tokenizers()
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", FuzzTargetNames.TokenizerJson);
        string[] seeds = Directory.GetFiles(folder, "seed-*");
        Assert.NotEmpty(seeds);
        foreach (string seed in seeds)
        {
            using FileStream stream = File.OpenRead(seed);
            AlbertTokenizer tokenizer = AlbertTokenizer.FromStream(stream, sourceName: seed);
            Assert.Equal(TokenizerKind.Fast, tokenizer.Kind);
            int[] ids = tokenizer.EncodeToIds("▁a▁b", addSpecialTokens: false);
            Assert.True(ids.Length >= 2);
            Assert.DoesNotContain(tokenizer.UnknownTokenId, ids);
        }
    }
}
