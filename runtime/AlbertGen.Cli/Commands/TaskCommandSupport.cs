using AlbertGen.Inference;
using System.CommandLine;
using AlbertGen.Batch;
using AlbertGen.Tasks;

namespace AlbertGen.Cli.Commands;

/// <summary>
/// What the task commands share: the text argument or <c>--input-jsonl</c>, <c>--json</c>, <c>--batch-size</c>, <c>--bf16</c>, JSON output with
/// HuggingFace's field names, and JSON-lines input whose errors name the line.
/// </summary>
internal sealed class TaskCommandSupport
{
    public ModelOptions Model { get; } = new();

    public DeviceOption Device { get; } = new();

    /// <summary>Whether the command runs the model in this process (and so takes <c>--device</c>).</summary>
    private bool _runsHere;

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
        AddPipelineOptionsTo(command);
    }

    /// <summary>Adds <c>--batch-size</c>, <c>--no-truncation</c>, <c>--bf16</c> and the model options (what <c>cluster run</c> shares), and
    /// <c>--device</c> unless <paramref name="device"/> is false (a cluster job runs where its silos' <c>--device</c> says).</summary>
    public void AddPipelineOptionsTo(Command command, bool device = true)
    {
        _runsHere = device;
        if (device)
        {
            Device.AddTo(command);
        }

        command.Options.Add(BatchSize);
        command.Options.Add(NoTruncation);
        command.Options.Add(Bf16);
        command.Options.Add(Int8);
        Model.AddTo(command, tokenizer: true);
    }

    public PipelineOptions PipelineOptions(ParseResult parse)
    {
        (bool bf16, bool int8) = ProductPrecision(parse);
        return JsonlTaskSettings.PipelineOptionsFor(BatchSizeOf(parse), !parse.GetValue(NoTruncation), bf16, int8, Model.TokenizerKind(parse))
            with { Device = Device.Read(parse) };
    }

    /// <summary><c>--bf16</c> and <c>--int8</c>; a usage error when both are given.</summary>
    private (bool Bf16, bool Int8) ProductPrecision(ParseResult parse)
    {
        (bool bf16, bool int8) = (parse.GetValue(Bf16), parse.GetValue(Int8));
        return bf16 && int8 ? throw new UsageException("--bf16 and --int8 exclude each other; choose one.") : (bf16, int8);
    }

    /// <summary><c>--batch-size</c>; a usage error when it is less than 1.</summary>
    private int BatchSizeOf(ParseResult parse)
    {
        int batch = parse.GetValue(BatchSize);
        return batch >= 1 ? batch : throw new UsageException($"--batch-size must be at least 1, not {batch}.");
    }

    /// <summary>A task's settings with <c>--batch-size</c>, <c>--no-truncation</c>, <c>--bf16</c>, <c>--int8</c> and <c>--tokenizer</c> applied (checked as <see cref="PipelineOptions"/> checks them).</summary>
    public T Settings<T>(ParseResult parse, T settings)
        where T : JsonlTaskSettings
    {
        (bool bf16, bool int8) = ProductPrecision(parse);
        T applied = settings with
        {
            BatchSize = BatchSizeOf(parse),
            Truncation = !parse.GetValue(NoTruncation),
            Bf16 = bf16,
            Int8 = int8,
            Tokenizer = Model.TokenizerKind(parse),
            Device = _runsHere ? Device.Read(parse) : null,
        };
        applied.ToPipelineOptions();
        return applied;
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

    /// <summary>The text argument; an error when it is missing or given together with <c>--input-jsonl</c>.</summary>
    public string RequireText(ParseResult parse, string name = "text")
    {
        string? text = parse.GetValue(Text);
        if (text is null)
        {
            throw new UsageException($"give the {name} as an argument, or --input-jsonl <file>.");
        }

        return text;
    }

    /// <summary>The JSON-lines file, or null; an error when the text argument is given too.</summary>
    public string? JsonlPath(ParseResult parse)
    {
        string? path = parse.GetValue(InputJsonl);
        if (path is not null && parse.GetValue(Text) is not null)
        {
            throw new UsageException("give either the text argument or --input-jsonl, not both.");
        }

        return path;
    }

    public static string ToJson(object? value) => JsonlTask.ToJson(value);

    /// <summary>Reads a JSON-lines file: one object per non-blank line, each with its 1-based line number.</summary>
    /// <exception cref="JsonlLineException">A line is not a JSON object; the message names the file and line.</exception>
    public static List<JsonlLine> ReadJsonl(string path) => JsonlReader.Read(path);

    /// <summary>
    /// Checks every input with <paramref name="check"/> (the first problem fails the command, naming its line, before the
    /// model runs on any input), then runs the inputs a chunk at a time and prints one line per input, in order.
    /// </summary>
    public static void RunLines<TInput>(
        IReadOnlyList<(JsonlLine Item, TInput Input)> inputs,
        int chunkSize,
        Func<TInput, string?> check,
        Func<IReadOnlyList<TInput>, IReadOnlyList<object?>> run,
        TextWriter output,
        CancellationToken cancellationToken) =>
        new JsonlDelegateTask<TInput>(chunkSize, _ => throw new InvalidOperationException("the inputs are parsed already."), (batch, _) => run(batch), check)
            .RunParsed(inputs, output, cancellationToken);
}
