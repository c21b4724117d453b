using System.Text.Json;
using AlbertGen.Tasks;
using AlbertGen.Tests;
using AlbertGen.Tokenization;
using Xunit.Abstractions;

namespace AlbertGen.Cli.Tests;

/// <summary>Without <c>--model</c>, commands use the default model shipped beside the command line (models/shakespeare).</summary>
public sealed class DefaultModelTests(ITestOutputHelper log)
{
    /// <summary>The line the README's main command completes.</summary>
    private const string MainJobLine = "But, soft! what light through yonder [MASK] breaks?";

    /// <summary>How many of <see cref="FamousLines"/> the shipped model has in its top 5 (the previous weights: 1).</summary>
    private const int MinimumTopFive = 4;

    /// <summary>
    /// Famous lines of the corpus with one single-piece word masked, chosen before the shipped weights were trained
    /// (2026-11-26 18:57 UTC) and not changed after looking at what the model says. Each occurs once or twice in the corpus.
    /// </summary>
    private static readonly (string Line, string Answer)[] FamousLines =
    [
        ("A horse! a horse! my kingdom for a [MASK]!", "horse"),
        ("O Romeo, Romeo! wherefore art thou [MASK]?", "romeo"),
        ("A plague o' both your [MASK]! I am sped.", "houses"),
        ("But, soft! what light through yonder [MASK] breaks?", "window"),
        ("What's in a name? that which we call a [MASK] by any other name would smell as sweet;", "rose"),
        ("Good night, good night! parting is such sweet [MASK],", "sorrow"),
        ("It is the east, and Juliet is the [MASK].", "sun"),
        ("This royal throne of kings, this scepter'd [MASK],", "isle"),
        ("This blessed plot, this earth, this realm, this [MASK],", "england"),
        ("Now is the winter of our discontent made glorious summer by this sun of [MASK];", "york"),
        ("Now is the winter of our discontent made glorious [MASK] by this sun of York;", "summer"),
        ("All murder'd: for within the hollow crown that rounds the mortal temples of a [MASK]", "king"),
        ("All murder'd: for within the hollow [MASK] that rounds the mortal temples of a king", "crown"),
    ];

    [Fact]
    public async Task Info_without_a_model_describes_the_shipped_default_model()
    {
        var (code, output, error) = await Cli.RunAsync("info", "--json");

        Assert.True(code == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.Equal(5000, json.RootElement.GetProperty("vocab_size").GetInt32());
        Assert.Equal(128, json.RootElement.GetProperty("hidden_size").GetInt32());
        Assert.True(json.RootElement.GetProperty("has_tokenizer").GetBoolean());
    }

    [Fact]
    public async Task Fill_mask_without_a_model_runs_the_main_job()
    {
        var (code, output, error) = await Cli.RunAsync("fill-mask", "--json", "--top-k", "5", MainJobLine); // the README's main command

        Assert.True(code == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement candidates = json.RootElement.ValueKind == JsonValueKind.Array ? json.RootElement : json.RootElement.GetProperty("masks")[0];
        Assert.Equal(5, candidates.GetArrayLength());
        Assert.All(candidates.EnumerateArray(), c => Assert.Matches(@"^but, soft! what light through yonder \S+ breaks\?$", c.GetProperty("sequence").GetString()));
        Assert.Contains("window", candidates.EnumerateArray().Select(c => c.GetProperty("token_str").GetString()!.Trim())); // Romeo and Juliet, act 2, in the corpus
    }

    /// <summary>The top candidate and score of the main job line, and what the command wrote to stderr.</summary>
    private static async Task<(string Token, double Score, string Error)> Top(params string[] extra)
    {
        var (code, output, error) = await Cli.RunAsync(["fill-mask", "--json", "--top-k", "1", MainJobLine, .. extra]);
        Assert.True(code == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement top = json.RootElement[0];
        return (top.GetProperty("token_str").GetString()!.Trim(), top.GetProperty("score").GetDouble(), error);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task Bf16_moves_the_scores_a_little_and_keeps_the_answer()
    {
        if (!AlbertGen.Inference.CpuFeatures.Current.HasNativeBFloat16)
        {
            log.WriteLine($"SKIPPED for this CPU (no native bfloat16; it has: {AlbertGen.Inference.CpuFeatures.Current}): see Bf16_without_native_bfloat16_stores_the_weights_in_bfloat16_and_keeps_the_answer");
            return;
        }

        (string fp32Token, double fp32Score, _) = await Top();
        (string bf16Token, double bf16Score, string error) = await Top("--bf16");

        Assert.Equal(fp32Token, bf16Token);
        Assert.NotEqual(fp32Score, bf16Score); // bfloat16 products did run
        Assert.True(Math.Abs(fp32Score - bf16Score) < 0.02, $"{fp32Score} vs {bf16Score}");
        Assert.Equal("", error);
    }

    [Fact]
    public async Task Bf16_without_native_bfloat16_stores_the_weights_in_bfloat16_and_keeps_the_answer()
    {
        if (AlbertGen.Inference.CpuFeatures.Current.HasNativeBFloat16 || !AlbertGen.Inference.CpuFeatures.Current.HasAvx2Fma)
        {
            log.WriteLine("SKIPPED for this CPU (it has native bfloat16, or no AVX2): run with ALBERTGEN_CPU_FEATURES=avx2,fma to take this path");
            return;
        }

        (string fp32Token, double fp32Score, _) = await Top();
        (string bf16Token, double bf16Score, string error) = await Top("--bf16");

        Assert.Equal(fp32Token, bf16Token);
        Assert.NotEqual(fp32Score, bf16Score); // the bfloat16-stored weights did run
        Assert.True(Math.Abs(fp32Score - bf16Score) < 0.02, $"{fp32Score} vs {bf16Score}");
        Assert.Equal("", error);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void The_default_model_predicts_masked_words_of_its_corpus_far_better_than_word_frequency_alone()
    {
        using var pipeline = FillMaskPipeline.FromPretrained(Cli.DefaultModelFolder);
        AlbertTokenizer tokenizer = pipeline.Tokenizer;
        string[] lines = File.ReadAllLines(Path.Combine(SharedFolder.Root, "corpora", "tinyshakespeare.txt"));

        // The context-free guess: the five most frequent whole words (single pieces) of the corpus.
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string line in lines)
        {
            foreach (string word in Words(line))
            {
                counts[word] = counts.GetValueOrDefault(word) + 1;
            }
        }

        HashSet<string> frequent = [.. counts.OrderByDescending(kv => kv.Value).Take(5).Select(kv => kv.Key)];

        // Every 50th line with at least six words; its middle word, when it is one piece, becomes [MASK].
        int asked = 0, byModel = 0, byFrequency = 0;
        for (int i = 0; i < lines.Length; i += 50)
        {
            string[] words = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 6)
            {
                continue;
            }

            int middle = words.Length / 2;
            string answer = words[middle].ToLowerInvariant();
            if (!answer.All(char.IsLetter) || tokenizer.EncodeToIds(answer, addSpecialTokens: false).Length != 1)
            {
                continue;
            }

            words[middle] = AlbertTokenizer.MaskToken;
            FillMaskResult result = pipeline.Predict(string.Join(' ', words), topK: 5);
            asked++;
            byModel += result.Masks[0].Any(c => c.TokenStr.Trim() == answer) ? 1 : 0;
            byFrequency += frequent.Contains(answer) ? 1 : 0;
        }

        double model5 = (double)byModel / asked, frequency5 = (double)byFrequency / asked;
        log.WriteLine($"{asked} masked words: top-5 accuracy {model5:P1} (the five most frequent words: {frequency5:P1})");
        Assert.True(asked >= 100, $"only {asked} lines qualified");
        Assert.True(model5 >= 2 * frequency5 && model5 - frequency5 >= 0.15,
            $"top-5 accuracy {model5:P1} against {frequency5:P1} for the five most frequent words");
    }

    [Fact]
    public void The_default_model_completes_famous_lines_chosen_before_it_was_trained()
    {
        using var pipeline = FillMaskPipeline.FromPretrained(Cli.DefaultModelFolder);
        AlbertTokenizer tokenizer = pipeline.Tokenizer;

        int lines = 0, first = 0, topFive = 0;
        foreach ((string line, string answer) in FamousLines)
        {
            Assert.Single(tokenizer.EncodeToIds(answer, addSpecialTokens: false)); // one [MASK] can only be one piece
            IReadOnlyList<FillMaskCandidate> candidates = pipeline.Predict(line, topK: 5).Masks[0];
            int rank = candidates.Select(c => c.TokenStr.Trim()).ToList().IndexOf(answer);
            log.WriteLine($"{(rank < 0 ? "-" : (rank + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))}  {answer,-8} {string.Join(", ", candidates.Select(c => $"{c.TokenStr.Trim()} {c.Score:P0}"))}");
            lines++;
            first += rank == 0 ? 1 : 0;
            topFive += rank >= 0 ? 1 : 0;
        }

        log.WriteLine($"{first} of {lines} first, {topFive} of {lines} in the top 5");
        Assert.True(topFive >= MinimumTopFive, $"{topFive} of {lines} lines have their word in the top 5; the shipped model has {MinimumTopFive}");
    }

    private static IEnumerable<string> Words(string line) =>
        line.ToLowerInvariant().Split([' ', ',', '.', ';', ':', '!', '?', '\'', '-'], StringSplitOptions.RemoveEmptyEntries).Where(w => w.All(char.IsLetter));
}
