using System.Text.Json;
using AlbertGen.Tests;

namespace AlbertGen.Cli.Tests;

/// <summary>The task commands end to end: HuggingFace-named JSON, JSON-lines order, one-line errors with exit code 1.</summary>
public sealed class TaskCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new("cli");

    /// <summary>Deletes the test's temporary files.</summary>
    public void Dispose() => _temp.Dispose();

    private static string Tiny => TaskModelDirectory.Tiny;

    private static string Head(string name) => TaskModelDirectory.Head(name);

    private static async Task<JsonElement> Json(params string[] args)
    {
        var (code, output, error) = await Cli.RunAsync(args);
        Assert.True(code == 0, $"exit {code}: {error}");
        using JsonDocument document = JsonDocument.Parse(output);
        return document.RootElement.Clone();
    }

    private string Jsonl(params object[] lines)
    {
        string path = _temp.NewFile("input.jsonl");
        File.WriteAllLines(path, lines.Select(l => JsonSerializer.Serialize(l)));
        return path;
    }

    private static Task<string> FailsWithOneLine(params string[] args) => FailsWithOneLine(CliApp.InputError, args);

    private static Task<string> UsageFailsWithOneLine(params string[] args) => FailsWithOneLine(CliApp.UsageError, args);

    private static async Task<string> FailsWithOneLine(int expectedCode, string[] args)
    {
        var (code, output, error) = await Cli.RunAsync(args);
        Assert.True(expectedCode == code, $"exit {code}, expected {expectedCode}: {error}");
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.StartsWith("albertgen: ", error);
        return error;
    }

    [Fact]
    public async Task Fill_mask_json_has_huggingface_fields_best_first()
    {
        JsonElement candidates = await Json("fill-mask", "--model", Tiny, "--json", "--top-k", "3", "the quick brown [MASK] jumps");
        Assert.Equal(3, candidates.GetArrayLength());
        float[] scores = [.. candidates.EnumerateArray().Select(c => c.GetProperty("score").GetSingle())];
        Assert.Equal(scores.OrderDescending(), scores);
        JsonElement first = candidates[0];
        Assert.True(first.GetProperty("token").GetInt32() >= 0);
        Assert.Contains(first.GetProperty("token_str").GetString()!, first.GetProperty("sequence").GetString());
    }

    [Fact]
    public async Task Fill_mask_with_two_masks_prints_a_list_per_mask_and_notes_multi_piece_targets()
    {
        var (code, output, error) = await Cli.RunAsync("fill-mask", "--model", Tiny, "--json", "--target", "strawberry", "--target", "▁the", "[MASK] and [MASK]");
        Assert.Equal(0, code);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.Equal(2, json.RootElement.GetArrayLength());
        Assert.All(json.RootElement.EnumerateArray(), m => Assert.Equal(2, m.GetArrayLength()));
        Assert.Contains("note: 'strawberry'", error);
    }

    [Fact]
    public async Task Classify_prints_label_and_score_and_a_list_with_all()
    {
        JsonElement one = await Json("classify", "--model", Head("seqcls-single3"), "--json", "a good day");
        Assert.StartsWith("LABEL_", one.GetProperty("label").GetString());
        JsonElement all = await Json("classify", "--model", Head("seqcls-single3"), "--json", "--all", "--pair", "yes", "a good day");
        Assert.Equal(3, all.GetArrayLength());
        Assert.Equal(1.0, all.EnumerateArray().Sum(e => e.GetProperty("score").GetDouble()), 4);
    }

    [Fact]
    public async Task Classify_jsonl_prints_one_object_per_line_in_order()
    {
        string[] texts = ["first text", "a second, much longer text of the file", "third", "fourth one", "and a fifth"];
        string input = Jsonl([.. texts.Select((t, i) => (object)(i % 2 == 0 ? new { text = t } : new { text = t, text_pair = "a pair" }))]);
        var (code, output, error) = await Cli.RunAsync("classify", "--model", Head("seqcls-single3"), "--batch-size", "2", "--input-jsonl", input);
        Assert.True(code == 0, error);
        string[] lines = output.TrimEnd().Split('\n');
        Assert.Equal(texts.Length, lines.Length);
        for (int i = 0; i < texts.Length; i++)
        {
            JsonElement expected = i % 2 == 0
                ? await Json("classify", "--model", Head("seqcls-single3"), "--json", texts[i])
                : await Json("classify", "--model", Head("seqcls-single3"), "--json", "--pair", "a pair", texts[i]);
            using JsonDocument line = JsonDocument.Parse(lines[i]);
            Assert.Equal(expected.GetProperty("label").GetString(), line.RootElement.GetProperty("label").GetString());
            Assert.Equal(expected.GetProperty("score").GetDouble(), line.RootElement.GetProperty("score").GetDouble(), 5);
        }
    }

    [Fact]
    public async Task A_bad_jsonl_line_is_named()
    {
        string input = _temp.NewFile("bad.jsonl");
        File.WriteAllLines(input, ["{\"text\": \"fine\"}", "", "{\"text\": 3}"]);
        string error = await FailsWithOneLine("classify", "--model", Head("seqcls-single3"), "--input-jsonl", input);
        Assert.Contains("bad.jsonl:3", error);

        File.WriteAllLines(input, ["{\"text\": \"fine\"}", "not json"]);
        Assert.Contains("bad.jsonl:2", await FailsWithOneLine("embed", "--model", Tiny, "--input-jsonl", input));
    }

    [Fact]
    public async Task A_failing_jsonl_input_is_named_by_its_line()
    {
        string input = Jsonl(new { text = "a [MASK]" }, new { text = "b [MASK]" }, new { text = "no mask" });
        string error = await FailsWithOneLine("fill-mask", "--model", Tiny, "--input-jsonl", input);
        Assert.Contains("input.jsonl:3", error);
        Assert.Contains("[MASK]", error);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("simple")]
    [InlineData("first")]
    public async Task Tag_json_uses_entity_for_tokens_and_entity_group_for_groups(string aggregation)
    {
        const string text = "Hello world, the fox lives in Paris.";
        JsonElement entities = await Json("tag", "--model", Head("tokcls5"), "--json", "--keep-all", "--aggregation", aggregation, text);
        Assert.NotEqual(0, entities.GetArrayLength());
        foreach (JsonElement e in entities.EnumerateArray())
        {
            Assert.Equal(aggregation == "none", e.TryGetProperty("entity", out _));
            Assert.Equal(aggregation == "none", e.TryGetProperty("index", out _));
            Assert.Equal(aggregation != "none", e.TryGetProperty("entity_group", out _));
            int start = e.GetProperty("start").GetInt32(), end = e.GetProperty("end").GetInt32();
            Assert.InRange(start, 0, end);
            Assert.InRange(end, start, text.Length);
        }
    }

    [Fact]
    public async Task Answer_json_is_a_span_of_the_context_file()
    {
        const string context = "The quick brown fox lives in a small house near the river, far from the town.";
        string file = _temp.NewFile("context.txt");
        File.WriteAllText(file, context);
        JsonElement answer = await Json("answer", "--model", Head("qa"), "--json", "--question", "where does the fox live?", "--context-file", file);
        int start = answer.GetProperty("start").GetInt32(), end = answer.GetProperty("end").GetInt32();
        Assert.Equal(context[start..end], answer.GetProperty("answer").GetString());
        Assert.InRange(answer.GetProperty("score").GetDouble(), 0, 1);

        JsonElement several = await Json("answer", "--model", Head("qa"), "--json", "--top-k", "3", "--question", "where?", "--context", context);
        Assert.Equal(3, several.GetArrayLength());
    }

    [Fact]
    public async Task Answer_needs_exactly_one_context()
    {
        Assert.Contains("--context", await UsageFailsWithOneLine("answer", "--model", Head("qa"), "--question", "where?"));
        Assert.Contains("--context", await UsageFailsWithOneLine("answer", "--model", Head("qa"), "--question", "where?", "--context", "x", "--context-file", "y"));
    }

    [Fact]
    public async Task Answer_jsonl_answers_each_line_in_order()
    {
        string input = Jsonl(new { question = "who?", context = "Ann met Bob in the park." }, new { question = "where?", context = "It was far away in the hills." });
        var (code, output, error) = await Cli.RunAsync("answer", "--model", Head("qa"), "--input-jsonl", input);
        Assert.True(code == 0, error);
        string[] lines = output.TrimEnd().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Contains(JsonDocument.Parse(lines[1]).RootElement.GetProperty("answer").GetString()!, "It was far away in the hills.");
    }

    [Fact]
    public async Task Choose_scores_every_choice_summing_to_one()
    {
        JsonElement scores = await Json("choose", "--model", Head("multiplechoice"), "--json", "--choice", "a house", "--choice", "the river", "--choice", "a tree", "where does it live?");
        Assert.Equal(["a house", "the river", "a tree"], scores.EnumerateArray().Select(s => s.GetProperty("choice").GetString()));
        Assert.Equal(1.0, scores.EnumerateArray().Sum(s => s.GetProperty("score").GetDouble()), 4);
        Assert.Contains("--choice", await UsageFailsWithOneLine("choose", "--model", Head("multiplechoice"), "where?"));
    }

    [Fact]
    public async Task Embed_prints_a_hidden_size_vector_and_normalises_on_request()
    {
        JsonElement vector = await Json("embed", "--model", Tiny, "--json", "--normalize", "some text");
        Assert.Equal(32, vector.GetArrayLength());
        Assert.Equal(1.0, Math.Sqrt(vector.EnumerateArray().Sum(v => v.GetDouble() * v.GetDouble())), 4);
    }

    [Fact]
    public async Task Tokenize_prints_the_full_encoding()
    {
        JsonElement e = await Json("tokenize", "--model", Tiny, "--pair", "a pair", "Hello world");
        int n = e.GetProperty("input_ids").GetArrayLength();
        Assert.Equal("[CLS]", e.GetProperty("tokens")[0].GetString());
        foreach (string field in new[] { "tokens", "token_type_ids", "special_tokens_mask", "attention_mask", "offsets" })
        {
            Assert.Equal(n, e.GetProperty(field).GetArrayLength());
        }

        Assert.Equal(2, e.GetProperty("offsets")[1].GetArrayLength());
        Assert.Equal(1, e.GetProperty("token_type_ids")[n - 1].GetInt32());

        JsonElement cut = await Json("tokenize", "--model", Tiny, "--max-length", "4", "Hello world and more");
        Assert.Equal(4, cut.GetProperty("input_ids").GetArrayLength());
    }

    [Fact]
    public async Task Tokenize_jsonl_keeps_the_order()
    {
        string input = Jsonl(new { text = "one" }, new { text = "two words", text_pair = "pair" }, new { text = "three" });
        var (code, output, _) = await Cli.RunAsync("tokenize", "--model", Tiny, "--input-jsonl", input);
        Assert.Equal(0, code);
        string[] lines = output.TrimEnd().Split('\n');
        Assert.Equal(3, lines.Length);
        for (int i = 0; i < 3; i++)
        {
            string text = new[] { "one", "two words", "three" }[i];
            JsonElement single = i == 1 ? await Json("tokenize", "--model", Tiny, "--pair", "pair", text) : await Json("tokenize", "--model", Tiny, text);
            Assert.Equal(single.GetRawText(), JsonDocument.Parse(lines[i]).RootElement.GetRawText());
        }
    }

    [Fact]
    public async Task Decode_turns_ids_back_into_text()
    {
        JsonElement e = await Json("tokenize", "--model", Tiny, "Hello world!");
        string[] ids = [.. e.GetProperty("input_ids").EnumerateArray().Select(i => i.GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture))];
        var (code, output, _) = await Cli.RunAsync(["decode", "--model", Tiny, "--skip-special-tokens", .. ids]);
        Assert.Equal(0, code);
        Assert.Equal("hello world!", output.Trim());
        var (_, withSpecials, _) = await Cli.RunAsync(["decode", "--model", Tiny, .. ids]);
        Assert.Equal("[CLS] hello world![SEP]", withSpecials.Trim());
    }

    [Fact]
    public async Task Bad_inputs_fail_with_one_line_and_exit_code_1()
    {
        await FailsWithOneLine("decode", "--model", Tiny, "99999");
        await FailsWithOneLine("fill-mask", "--model", Tiny, "no mask in this text");
        await FailsWithOneLine("classify", "--model", Head("seqcls-single3"), "--input-jsonl", "missing.jsonl");
        await FailsWithOneLine("embed", "--model", SharedFolder.Model("tiny"), "no tokenizer beside this model");
    }

    [Fact]
    public async Task Bad_command_lines_fail_with_one_line_and_exit_code_2()
    {
        Assert.Contains("give the text as an argument", await UsageFailsWithOneLine("classify", "--model", Head("seqcls-single3")));
        Assert.Contains("'sideways'", await UsageFailsWithOneLine("tag", "--model", Head("tokcls5"), "--aggregation", "sideways", "text"));
        Assert.Contains("not both", await UsageFailsWithOneLine("classify", "--model", Head("seqcls-single3"), "--input-jsonl", Jsonl(new { text = "x" }), "also a text"));
        Assert.Contains("--batch-size must be at least 1", await UsageFailsWithOneLine("classify", "--model", Head("seqcls-single3"), "--batch-size", "0", "x"));
        Assert.Contains("see 'albertgen --help'", await UsageFailsWithOneLine("no-such-command"));
    }

    [Fact]
    public async Task A_bad_jsonl_line_fails_before_the_model_runs_on_any_line()
    {
        // Batches of one: the first line would be printed before the second ran, were the lines not checked first.
        string input = Jsonl(new { text = "the [MASK] is here" }, new { text = "the king is here" }, new { text = "[MASK] again" });
        Assert.Contains(":2: the text has no [MASK] token", await FailsWithOneLine("fill-mask", "--model", Tiny, "--batch-size", "1", "--input-jsonl", input));

        string longLine = Jsonl(new { text = "short" }, new { text = string.Join(" ", Enumerable.Repeat("word", 100)) });
        Assert.Contains(":2: the input has", await FailsWithOneLine("classify", "--model", Head("seqcls-single3"), "--batch-size", "1", "--no-truncation", "--input-jsonl", longLine));

        string emptyQuestion = Jsonl(new { question = "where?", context = "here" }, new { question = " ", context = "there" });
        Assert.Contains(":2: \"question\" is empty", await FailsWithOneLine("answer", "--model", Head("qa"), "--input-jsonl", emptyQuestion));

        string noChoices = Jsonl(new { prompt = "where?", choices = new[] { "here" } }, new { prompt = "where?", choices = Array.Empty<string>() });
        Assert.Contains(":2: \"choices\" is empty", await FailsWithOneLine("choose", "--model", Head("multiplechoice"), "--input-jsonl", noChoices));
    }

    [Fact]
    public async Task Long_inputs_are_truncated_unless_refused()
    {
        string text = string.Join(" ", Enumerable.Repeat("word", 100));
        var (code, _, _) = await Cli.RunAsync("classify", "--model", Head("seqcls-single3"), text);
        Assert.Equal(0, code);
        Assert.Contains("at most 64", await FailsWithOneLine("classify", "--model", Head("seqcls-single3"), "--no-truncation", text));
    }

    [Fact]
    public async Task Human_readable_output_is_plain_text()
    {
        var (code, output, _) = await Cli.RunAsync("classify", "--model", Head("seqcls-single3"), "--all", "plain");
        Assert.Equal(0, code);
        Assert.Equal(3, output.TrimEnd().Split('\n').Length);
        Assert.StartsWith("LABEL_", output);
    }
}
