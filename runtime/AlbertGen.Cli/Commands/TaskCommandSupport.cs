using AlbertGen.Inference;
using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using AlbertGen.Checkpoints;
using AlbertGen.Tasks;

namespace AlbertGen.Cli.Commands;

/// <summary>
/// What the task commands share: the text argument or <c>--input-jsonl</c>, <c>--json</c>, <c>--batch-size</c>, <c>--bf16</c>, JSON output with
/// HuggingFace's field names, and JSON-lines input whose errors name the line.
/// </summary>
internal sealed class TaskCommandSupport
{
    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public ModelOptions Model { get; } = new();

    public Argument<string?> Text { get; } = new("text") { Description = "The input text (omit with --input-jsonl).", Arity = ArgumentArity.ZeroOrOne };

    public Option<bool> Json { get; } = new("--json") { Description = "Print JSON with HuggingFace pipeline field names." };

    public Option<string?> InputJsonl { get; } = new("--input-jsonl")
    {
        Description = "Read inputs from a JSON-lines file (one object per line) and print one JSON result per line, in order.",
    };

    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Inputs per forward pass.", DefaultValueFactory = _ => 8 };

    public Option<bool> NoTruncation { get; } = new("--no-truncation")
    {
        Description = "Refuse inputs longer than the model's maximum length instead of cutting them.",
    };

    public Option<bool> Bf16 { get; } = new("--bf16")
    {
        Description = "Run the transformer's matrix products in bfloat16 (about 1.8 times as fast on CPUs with AVX512-BF16; outputs stay float32).",
    };

    public Option<bool> Int8 { get; } = new("--int8")
    {
        Description = "Run the transformer's matrix products in int8 with dynamic quantisation (faster on CPUs with VNNI; outputs stay float32, predictions may differ slightly).",
    };

    /// <summary>Adds the shared options (and the text argument when the command takes one).</summary>
    public void AddTo(Command command, bool textArgument = true)
    {
        if (textArgument)
        {
            command.Arguments.Add(Text);
        }

        command.Options.Add(Json);
        command.Options.Add(InputJsonl);
        command.Options.Add(BatchSize);
        command.Options.Add(NoTruncation);
        command.Options.Add(Bf16);
        command.Options.Add(Int8);
        Model.AddTo(command);
    }

    public PipelineOptions PipelineOptions(ParseResult parse)
    {
        int batch = parse.GetValue(BatchSize);
        if (batch < 1)
        {
            throw new ArgumentException($"--batch-size must be at least 1, not {batch}.");
        }

        return new PipelineOptions
        {
            BatchSize = batch,
            Truncation = !parse.GetValue(NoTruncation),
            Inference = InferenceOptions(parse.GetValue(Bf16), parse.GetValue(Int8)),
        };
    }

    /// <summary>
    /// Prints what a pipeline's inference session does differently from what was asked (e.g. <c>--bf16</c> on a CPU without
    /// native bfloat16), one line each.
    /// </summary>
    public static void Warn(IReadOnlyList<string> warnings, TextWriter error)
    {
        foreach (string warning in warnings)
        {
            error.WriteLine("albertgen: warning: " + warning);
        }
    }

    private static InferenceOptions? InferenceOptions(bool bf16, bool int8) => (bf16, int8) switch
    {
        (true, true) => throw new ArgumentException("--bf16 and --int8 exclude each other; choose one."),
        (true, false) => new InferenceOptions { MatMulDType = TorchSharp.torch.ScalarType.BFloat16 },
        (false, true) => new InferenceOptions { Int8 = true },
        _ => null,
    };

    /// <summary>The text argument; an error when it is missing or given together with <c>--input-jsonl</c>.</summary>
    public string RequireText(ParseResult parse, string name = "text")
    {
        string? text = parse.GetValue(Text);
        if (text is null)
        {
            throw new ArgumentException($"give the {name} as an argument, or --input-jsonl <file>.");
        }

        return text;
    }

    /// <summary>The JSON-lines file, or null; an error when the text argument is given too.</summary>
    public string? JsonlPath(ParseResult parse)
    {
        string? path = parse.GetValue(InputJsonl);
        if (path is not null && parse.GetValue(Text) is not null)
        {
            throw new ArgumentException("give either the text argument or --input-jsonl, not both.");
        }

        return path;
    }

    public static string ToJson(object? value) => JsonSerializer.Serialize(value, JsonOptions);

    /// <summary>Reads a JSON-lines file: one object per non-blank line, each with its 1-based line number.</summary>
    /// <exception cref="FormatException">A line is not a JSON object; the message names the file and line.</exception>
    public static List<JsonlItem> ReadJsonl(string path)
    {
        var items = new List<JsonlItem>();
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonElement element;
            try
            {
                using JsonDocument document = JsonDocument.Parse(line);
                element = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new FormatException($"{path}:{number}: not valid JSON ({e.Message.ReplaceLineEndings(" ")}).", e);
            }

            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"{path}:{number}: expected a JSON object, found {element.ValueKind.ToString().ToLowerInvariant()}.");
            }

            items.Add(new JsonlItem(path, number, element));
        }

        return items;
    }

    /// <summary>
    /// Runs inputs a chunk at a time and prints one line per input, in order. When a chunk fails on bad input, its inputs
    /// are retried one by one so the error names the line at fault.
    /// </summary>
    public static void RunLines<TInput>(
        IReadOnlyList<(JsonlItem Item, TInput Input)> inputs,
        int chunkSize,
        Func<IReadOnlyList<TInput>, IReadOnlyList<object?>> run,
        TextWriter output,
        CancellationToken cancellationToken)
    {
        for (int first = 0; first < inputs.Count; first += chunkSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = inputs.Skip(first).Take(chunkSize).ToList();
            IReadOnlyList<object?> results;
            try
            {
                results = run([.. chunk.Select(c => c.Input)]);
            }
            catch (ArgumentException)
            {
                foreach ((JsonlItem item, TInput input) in chunk)
                {
                    try
                    {
                        run([input]);
                    }
                    catch (ArgumentException e)
                    {
                        throw new ArgumentException($"{item.Path}:{item.Line}: {e.Message}", e);
                    }
                }

                throw;
            }

            foreach (object? result in results)
            {
                output.WriteLine(ToJson(result));
            }
        }
    }
}

/// <summary>One object of a JSON-lines file.</summary>
internal sealed record JsonlItem(string Path, int Line, JsonElement Value)
{
    /// <summary>A string field that must be present.</summary>
    public string Required(string name)
    {
        if (!Value.TryGetProperty(name, out JsonElement field) || field.ValueKind != JsonValueKind.String)
        {
            throw new FormatException($"{Path}:{Line}: \"{name}\" must be a string.");
        }

        return field.GetString()!;
    }

    /// <summary>A string field that may be absent or null.</summary>
    public string? Optional(string name)
    {
        if (!Value.TryGetProperty(name, out JsonElement field) || field.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return field.ValueKind == JsonValueKind.String ? field.GetString() : throw new FormatException($"{Path}:{Line}: \"{name}\" must be a string or null.");
    }

    /// <summary>An array of strings that must be present.</summary>
    public string[] RequiredStrings(string name)
    {
        if (!Value.TryGetProperty(name, out JsonElement field) || field.ValueKind != JsonValueKind.Array
            || field.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw new FormatException($"{Path}:{Line}: \"{name}\" must be an array of strings.");
        }

        return [.. field.EnumerateArray().Select(e => e.GetString()!)];
    }
}
