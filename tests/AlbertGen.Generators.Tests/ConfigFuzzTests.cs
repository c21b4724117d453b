using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit.Abstractions;

namespace AlbertGen.Generators.Tests;

/// <summary>
/// Mutated, truncated and garbage config.json texts from a fixed seed, through the real generator driver: every one
/// must end in diagnostics or code, never in an exception; and code that is generated must compile.
/// </summary>
public sealed class ConfigFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20_250_601;
    private const int Cases = 1_200;

    [Trait("Category", "Slow")]
    [Fact]
    public void Mutated_configs_give_diagnostics_or_compiling_code_never_an_exception()
    {
        var random = new Random(Seed);
        string[] seeds = SeedConfigs();
        CSharpCompilation compilation = GeneratorHarness.Compile((GeneratorHarness.ProjectDir + "Model.cs", Configs.Declaration(
            "\"config.json\", Heads = AlbertHeads.MaskedLM | AlbertHeads.SequenceClassification | AlbertHeads.TokenClassification")));
        var config = new InMemoryText(GeneratorHarness.ProjectDir + "config.json", seeds[0]);
        GeneratorDriver driver = GeneratorHarness.Driver([config]);
        var compiledSources = new HashSet<string>(StringComparer.Ordinal);
        int generated = 0, compiled = 0;
        var ids = new SortedDictionary<string, int>(StringComparer.Ordinal);

        for (int i = 0; i < Cases; i++)
        {
            string text = Mutate(random, seeds[random.Next(seeds.Length)]);
            var next = new InMemoryText(config.Path, text);
            driver = driver.ReplaceAdditionalText(config, next).RunGenerators(compilation);
            config = next;
            GeneratorDriverRunResult result = driver.GetRunResult();

            GeneratorRunResult run = Assert.Single(result.Results);
            Assert.True(run.Exception is null, $"case {i} threw {run.Exception}\n--- input ---\n{text}");
            Assert.DoesNotContain(result.Diagnostics, d => d.Id is "CS8785" or "AD0001" or "ALBG018");
            foreach (Diagnostic d in result.Diagnostics)
            {
                ids[d.Id] = ids.GetValueOrDefault(d.Id) + 1;
            }

            Assert.Equal(result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error), run.GeneratedSources.IsEmpty);
            foreach (GeneratedSourceResult source in run.GeneratedSources)
            {
                generated++;
                Assert.Empty(source.SyntaxTree.GetDiagnostics());
                // Compiling is the slow part: do it for each distinct label set / output shape, up to a bound.
                if (compiled < 60 && compiledSources.Add(LabelPart(source.SourceText.ToString())))
                {
                    compiled++;
                    var problems = compilation.AddSyntaxTrees(source.SyntaxTree).GetDiagnostics()
                        .Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).ToList();
                    Assert.True(problems.Count == 0, $"case {i}: generated code does not compile: {string.Join("\n", problems)}\n--- input ---\n{text}");
                }
            }
        }

        output.WriteLine($"{Cases} inputs: {generated} generated sources ({compiled} compiled), diagnostics: {string.Join(", ", ids.Select(p => p.Key + "×" + p.Value))}");
        Assert.True(generated > 50, "too few inputs survive mutation to exercise the emitter");
        Assert.True(ids.Count >= 10, "too few kinds of diagnostics: the mutations are too weak");
    }

    private static string LabelPart(string source)
    {
        int start = source.IndexOf("Id2Label = ", StringComparison.Ordinal);
        return start < 0 ? "no labels" : source.Substring(start, source.IndexOf('\n', start) - start);
    }

    private static string[] SeedConfigs()
    {
        string models = Path.Combine(TestFolders.Shared, "fixtures", "models");
        return Directory.GetFiles(models, "config.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Concat([Path.Combine(TestFolders.Repository, "models", "base-v2", "config.json"), Path.Combine(TestFolders.Repository, "models", "xxlarge-v2", "config.json")])
            .Select(File.ReadAllText)
            .ToArray();
    }

    private static readonly string[] Values =
    [
        "0", "-1", "1", "2", "3", "7", "1e400", "-1e400", "1e-400", "99999999999999999999", "2147483647", "2147483648", "-2147483649",
        "0.5", "1.0", "NaN", "Infinity", "true", "false", "null", "\"\"", "\"x\"", "\"gelu\"", "\"relu\"", "\"relative_key\"",
        "[]", "{}", "[1, 2]", "{\"0\": \"a\"}", "\"\\u0000\"", "\"\\ud800\"", "\"é\\n\"", "-0", "1E3", "01", ".5", "+1",
    ];

    private static readonly string[] Fields =
    [
        "vocab_size", "embedding_size", "hidden_size", "num_hidden_layers", "num_hidden_groups", "num_attention_heads",
        "intermediate_size", "inner_group_num", "hidden_act", "max_position_embeddings", "type_vocab_size", "layer_norm_eps",
        "num_labels", "id2label", "label2id", "problem_type", "architectures", "model_type", "pad_token_id", "position_embedding_type",
        "hidden_dropout_prob", "initializer_range", "bos_token_id",
    ];

    internal static string Mutate(Random random, string json)
    {
        int mutations = 1 + random.Next(3);
        for (int m = 0; m < mutations; m++)
        {
            int at = json.Length == 0 ? 0 : random.Next(json.Length);
            switch (random.Next(11))
            {
                case 0: // truncate
                    json = json[..at];
                    break;
                case 1: // flip a character
                    if (json.Length > 0)
                    {
                        json = json[..at] + (char)(json[at] ^ (1 << random.Next(7))) + json[(at + 1)..];
                    }

                    break;
                case 2: // delete a range
                    json = json.Remove(at, Math.Min(json.Length - at, random.Next(1, 20)));
                    break;
                case 3: // duplicate a range
                    int length = Math.Min(json.Length - at, random.Next(1, 40));
                    json = json.Insert(at, json.Substring(at, length));
                    break;
                case 4: // replace a field's value
                case 5:
                    json = SetField(json, Fields[random.Next(Fields.Length)], Values[random.Next(Values.Length)]);
                    break;
                case 6: // deep nesting
                    int depth = random.Next(10, 3000);
                    json = SetField(json, Fields[random.Next(Fields.Length)], new string('[', depth) + new string(']', depth));
                    break;
                case 7: // unicode and control characters
                    var noise = new StringBuilder();
                    for (int i = random.Next(1, 6); i > 0; i--)
                    {
                        noise.Append((char)random.Next(0, 0xFFFF));
                    }

                    json = json.Insert(at, noise.ToString());
                    break;
                case 8: // labels with awkward names
                    var labels = Enumerable.Range(0, random.Next(1, 12))
                        .Select(i => $"\"{i}\": \"{Escape(LabelNamingTests.RandomName(random))}\"");
                    json = SetField(json, "id2label", "{" + string.Join(", ", labels) + "}");
                    json = SetField(json, "architectures", "[\"AlbertForSequenceClassification\", \"AlbertForTokenClassification\", \"AlbertForMaskedLM\"]");
                    break;
                case 9: // garbage
                    var garbage = new char[random.Next(0, 200)];
                    for (int i = 0; i < garbage.Length; i++)
                    {
                        garbage[i] = (char)random.Next(0, 256);
                    }

                    json = new string(garbage);
                    break;
                default: // an unknown or duplicate key
                    json = json.Length > 1 ? "{\"" + Fields[random.Next(Fields.Length)] + (random.Next(2) == 0 ? "x" : "") + "\": 1, " + json[1..] : json;
                    break;
            }
        }

        return json;
    }

    private static string SetField(string json, string field, string value)
    {
        int key = json.IndexOf("\"" + field + "\"", StringComparison.Ordinal);
        if (key < 0)
        {
            return json.Length > 1 && json[0] == '{' ? "{\"" + field + "\": " + value + ", " + json[1..] : json;
        }

        int colon = json.IndexOf(':', key);
        if (colon < 0)
        {
            return json;
        }

        int end = colon + 1, nesting = 0;
        bool inString = false;
        for (; end < json.Length; end++)
        {
            char c = json[end];
            if (inString)
            {
                if (c == '\\') end++;
                else if (c == '"') inString = false;
                continue;
            }

            if (c == '"') inString = true;
            else if (c is '[' or '{') nesting++;
            else if (c is ']' or '}' && nesting-- == 0) break;
            else if (c == ',' && nesting == 0) break;
        }

        return json[..(colon + 1)] + " " + value + json[Math.Min(end, json.Length)..];
    }

    private static string Escape(string name)
    {
        var escaped = new StringBuilder();
        foreach (char c in name)
        {
            escaped.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                < ' ' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return escaped.ToString();
    }
}
