using System.Text.Json;
using AlbertGen.Modeling;
using AlbertGen.Tasks;
using AlbertGen.Tests;
using AlbertGen.Tokenization;
using Xunit.Abstractions;

namespace AlbertGen.Cli.Tests;

/// <summary>Without <c>--model</c>, commands use the default model shipped beside the command line (models/shakespeare).</summary>
public sealed class DefaultModelTests(ITestOutputHelper log)
{
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
        var (code, output, error) = await Cli.RunAsync("fill-mask", "--json", "--top-k", "5", "A horse! a horse! my kingdom for a [MASK]!"); // the README's main command

        Assert.True(code == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement candidates = json.RootElement.ValueKind == JsonValueKind.Array ? json.RootElement : json.RootElement.GetProperty("masks")[0];
        Assert.Equal(5, candidates.GetArrayLength());
        Assert.All(candidates.EnumerateArray(), c => Assert.StartsWith("a horse! a horse! my kingdom for a", c.GetProperty("sequence").GetString()));
        Assert.Equal("horse", candidates[0].GetProperty("token_str").GetString()!.Trim()); // Richard III, act 5, in the corpus
    }

    [Fact]
    public async Task Bf16_moves_the_scores_a_little_and_keeps_the_answer()
    {
        static async Task<(string Token, double Score)> Top(params string[] extra)
        {
            var (code, output, error) = await Cli.RunAsync(["fill-mask", "--json", "--top-k", "1", "A horse! a horse! my kingdom for a [MASK]!", .. extra]);
            Assert.True(code == 0, error);
            using JsonDocument json = JsonDocument.Parse(output);
            JsonElement top = json.RootElement[0];
            return (top.GetProperty("token_str").GetString()!.Trim(), top.GetProperty("score").GetDouble());
        }

        (string fp32Token, double fp32Score) = await Top();
        (string bf16Token, double bf16Score) = await Top("--bf16");

        Assert.Equal(fp32Token, bf16Token);
        Assert.NotEqual(fp32Score, bf16Score); // bfloat16 products did run
        Assert.True(Math.Abs(fp32Score - bf16Score) < 0.02, $"{fp32Score} vs {bf16Score}");
    }

    [Fact]
    public void The_default_model_predicts_masked_words_of_its_corpus_far_better_than_word_frequency_alone()
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "default-model");
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(folder);
        AlbertTokenizer tokenizer = AlbertTokenizer.FromFile(Path.Combine(folder, "spiece.model"), AlbertTokenizerOptions.ForConfig(model.Config));
        using var pipeline = new FillMaskPipeline(model, tokenizer);
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

    private static IEnumerable<string> Words(string line) =>
        line.ToLowerInvariant().Split([' ', ',', '.', ';', ':', '!', '?', '\'', '-'], StringSplitOptions.RemoveEmptyEntries).Where(w => w.All(char.IsLetter));
}
