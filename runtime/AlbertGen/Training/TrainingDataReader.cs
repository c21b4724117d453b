using System.Globalization;
using System.Text.Json;

namespace AlbertGen.Training;

/// <summary>
/// Reads fine-tuning examples from JSON Lines (<c>.jsonl</c>, <c>.json</c>: one object per line) or CSV (<c>.csv</c>, with a
/// header row). Every problem is a <see cref="TrainingDataException"/> naming the file and line.
/// </summary>
/// <remarks>
/// Fields per task (JSON Lines / CSV columns):
/// <list type="bullet">
/// <item>classification and regression: <c>text</c>, optional <c>text_pair</c>, <c>label</c> (string or number; for
/// multi-label a JSON array, or in CSV names separated by <c>;</c>).</item>
/// <item>token classification: <c>tokens</c> and <c>tags</c> (or <c>ner_tags</c>) arrays of the same length; in CSV
/// both columns are space-separated.</item>
/// <item>question answering: optional <c>id</c>, <c>question</c>, <c>context</c>, <c>answers</c> =
/// <c>{"text": [...], "answer_start": [...]}</c>; in CSV <c>answer_text</c> and <c>answer_start</c> columns.</item>
/// <item>multiple choice: <c>question</c> (or <c>text</c>), <c>choices</c> array, <c>label</c> (index); in CSV columns
/// <c>choice0</c>, <c>choice1</c>, ….</item>
/// </list>
/// </remarks>
public static class TrainingDataReader
{
    /// <summary>Reads the examples of a file.</summary>
    /// <param name="path">A <c>.jsonl</c>/<c>.json</c> or <c>.csv</c> file.</param>
    /// <param name="task">The task, which decides the fields read.</param>
    /// <returns>The examples with their locations.</returns>
    /// <exception cref="TrainingDataException">The file is empty, a line is malformed or misses a field.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IReadOnlyList<TrainingExample> ReadFile(string path, FineTuneTask task)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Training data file '{path}' not found.", path);
        }

        string extension = Path.GetExtension(path).ToLowerInvariant();
        using var reader = new StreamReader(path);
        IReadOnlyList<TrainingExample> examples = extension switch
        {
            ".csv" => ReadCsv(reader, path, task),
            ".jsonl" or ".json" or ".ndjson" => ReadJsonLines(reader, path, task),
            _ => throw new TrainingDataException(new SourceLocation(path, 1), $"unknown file type '{extension}'; expected .jsonl, .json or .csv."),
        };
        if (examples.Count == 0)
        {
            throw new TrainingDataException(new SourceLocation(path, 1), "the file holds no examples.");
        }

        return examples;
    }

    /// <summary>Reads JSON Lines text (blank lines are skipped).</summary>
    /// <param name="reader">The text.</param>
    /// <param name="path">Name for messages.</param>
    /// <param name="task">The task.</param>
    /// <returns>The examples.</returns>
    public static IReadOnlyList<TrainingExample> ReadJsonLines(TextReader reader, string path, FineTuneTask task)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var examples = new List<TrainingExample>();
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var where = new SourceLocation(path, lineNumber);
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new TrainingDataException(where, $"not valid JSON ({e.Message}).");
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new TrainingDataException(where, $"expected a JSON object, found {document.RootElement.ValueKind}.");
                }

                examples.Add(FromJson(new JsonFields(document.RootElement, where), task, lineNumber) with { Location = where });
            }
        }

        return examples;
    }

    /// <summary>Reads CSV text with a header row.</summary>
    /// <param name="reader">The text.</param>
    /// <param name="path">Name for messages.</param>
    /// <param name="task">The task.</param>
    /// <returns>The examples.</returns>
    public static IReadOnlyList<TrainingExample> ReadCsv(TextReader reader, string path, FineTuneTask task)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var examples = new List<TrainingExample>();
        Dictionary<string, int>? header = null;
        foreach ((int line, List<string> fields) in CsvRecords.Read(reader, path))
        {
            var where = new SourceLocation(path, line);
            if (header is null)
            {
                header = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
                for (int i = 0; i < fields.Count; i++)
                {
                    header[fields[i].Trim()] = i;
                }

                continue;
            }

            if (fields.Count != header.Count)
            {
                throw new TrainingDataException(where, $"{fields.Count} fields, but the header has {header.Count}.");
            }

            examples.Add(FromCsv(new CsvFields(header, fields, where), task, line) with { Location = where });
        }

        return examples;
    }

    private static TrainingExample FromJson(JsonFields f, FineTuneTask task, int line)
    {
        switch (task)
        {
            case FineTuneTask.SequenceClassification:
            case FineTuneTask.Regression:
            case FineTuneTask.MultiLabelClassification:
                IReadOnlyList<string> labels = task == FineTuneTask.MultiLabelClassification && f.Has("labels")
                    ? f.Strings("labels")
                    : f.Label("label", task == FineTuneTask.MultiLabelClassification);
                return new TextExample(f.String("text"), f.OptionalString("text_pair"), labels);
            case FineTuneTask.TokenClassification:
                IReadOnlyList<string> words = f.Strings("tokens");
                IReadOnlyList<string> tags = f.Strings(f.Has("tags") || !f.Has("ner_tags") ? "tags" : "ner_tags");
                if (words.Count != tags.Count)
                {
                    throw new TrainingDataException(f.Where, $"'tokens' has {words.Count} entries but the tags have {tags.Count}; give one tag per token.");
                }

                return new TaggingExample(words, tags);
            case FineTuneTask.QuestionAnswering:
                string context = f.String("context");
                JsonFields answers = f.Object("answers");
                IReadOnlyList<string> texts = answers.Strings("text");
                IReadOnlyList<string> starts = answers.Strings("answer_start");
                if (texts.Count != starts.Count)
                {
                    throw new TrainingDataException(f.Where, $"'answers' has {texts.Count} texts but {starts.Count} answer_start values.");
                }

                return new QuestionAnsweringExample(
                    f.OptionalString("id") ?? line.ToString(CultureInfo.InvariantCulture),
                    f.String("question"),
                    context,
                    CheckAnswers(f.Where, context, texts, starts));
            case FineTuneTask.MultipleChoice:
                string prompt = f.Has("question") ? f.String("question") : f.String("text");
                IReadOnlyList<string> choices = f.Strings("choices");
                return new MultipleChoiceExample(prompt, choices, ChoiceLabel(f.Where, f.Label("label", false)[0], choices.Count));
            default:
                throw new ArgumentOutOfRangeException(nameof(task), task, null);
        }
    }

    private static TrainingExample FromCsv(CsvFields f, FineTuneTask task, int line)
    {
        switch (task)
        {
            case FineTuneTask.SequenceClassification:
            case FineTuneTask.Regression:
                return new TextExample(f.String("text"), f.OptionalString("text_pair"), [f.String("label")]);
            case FineTuneTask.MultiLabelClassification:
                string[] names = f.String("label").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                return new TextExample(f.String("text"), f.OptionalString("text_pair"), names);
            case FineTuneTask.TokenClassification:
                string[] words = f.String("tokens").Split(' ', StringSplitOptions.RemoveEmptyEntries);
                string[] tags = f.String("tags").Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length != tags.Length)
                {
                    throw new TrainingDataException(f.Where, $"'tokens' has {words.Length} entries but 'tags' has {tags.Length}; give one tag per token.");
                }

                return new TaggingExample(words, tags);
            case FineTuneTask.QuestionAnswering:
                string context = f.String("context");
                return new QuestionAnsweringExample(
                    f.OptionalString("id") ?? line.ToString(CultureInfo.InvariantCulture),
                    f.String("question"),
                    context,
                    CheckAnswers(f.Where, context, [f.String("answer_text")], [f.String("answer_start")]));
            case FineTuneTask.MultipleChoice:
                var choices = new List<string>();
                for (int i = 0; f.Has($"choice{i}"); i++)
                {
                    choices.Add(f.String($"choice{i}"));
                }

                if (choices.Count < 2)
                {
                    throw new TrainingDataException(f.Where, "multiple choice needs columns choice0, choice1, … (at least two).");
                }

                string prompt = f.Has("question") ? f.String("question") : f.String("text");
                return new MultipleChoiceExample(prompt, choices, ChoiceLabel(f.Where, f.String("label"), choices.Count));
            default:
                throw new ArgumentOutOfRangeException(nameof(task), task, null);
        }
    }

    private static int ChoiceLabel(SourceLocation where, string text, int count)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int label) || label < 0 || label >= count)
        {
            throw new TrainingDataException(where, $"'label' is '{text}'; expected the index of the right choice, 0 to {count - 1}.");
        }

        return label;
    }

    private static (string Text, int Start)[] CheckAnswers(SourceLocation where, string context, IReadOnlyList<string> texts, IReadOnlyList<string> starts)
    {
        var answers = new (string, int)[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            if (!int.TryParse(starts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out int start)
                || start < 0 || start + texts[i].Length > context.Length)
            {
                throw new TrainingDataException(where, $"answer_start '{starts[i]}' is not a character position inside the context (length {context.Length}).");
            }

            if (string.CompareOrdinal(context, start, texts[i], 0, texts[i].Length) != 0)
            {
                throw new TrainingDataException(where, $"the context at answer_start {start} reads '{context.Substring(start, texts[i].Length)}', not the answer '{texts[i]}'.");
            }

            answers[i] = (texts[i], start);
        }

        return answers;
    }

    /// <summary>Typed access to one JSON object, with errors naming the line and field.</summary>
    private readonly record struct JsonFields(JsonElement Element, SourceLocation Where)
    {
        public bool Has(string name) => Element.TryGetProperty(name, out JsonElement e) && e.ValueKind != JsonValueKind.Null;

        public string String(string name) => OptionalString(name) ?? throw Missing(name, "a string");

        public string? OptionalString(string name)
        {
            if (!Element.TryGetProperty(name, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return e.ValueKind == JsonValueKind.String
                ? e.GetString()!
                : throw new TrainingDataException(Where, $"'{name}' is {e.ValueKind}; expected a string.");
        }

        public JsonFields Object(string name)
        {
            if (!Element.TryGetProperty(name, out JsonElement e) || e.ValueKind != JsonValueKind.Object)
            {
                throw Missing(name, "an object");
            }

            return new JsonFields(e, Where);
        }

        /// <summary>An array of strings or numbers, numbers kept as their JSON text.</summary>
        public IReadOnlyList<string> Strings(string name)
        {
            if (!Element.TryGetProperty(name, out JsonElement e) || e.ValueKind != JsonValueKind.Array)
            {
                throw Missing(name, "an array");
            }

            var values = new List<string>();
            foreach (JsonElement item in e.EnumerateArray())
            {
                values.Add(Scalar(item, name));
            }

            return values;
        }

        /// <summary>A label: a string or number, or (for multi-label) an array of them.</summary>
        public IReadOnlyList<string> Label(string name, bool allowList)
        {
            if (!Element.TryGetProperty(name, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
            {
                throw Missing(name, allowList ? "a label or a list of labels" : "a label");
            }

            if (e.ValueKind == JsonValueKind.Array && allowList)
            {
                return Strings(name);
            }

            return [Scalar(e, name)];
        }

        private string Scalar(JsonElement e, string name) => e.ValueKind switch
        {
            JsonValueKind.String => e.GetString()!,
            JsonValueKind.Number => e.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => throw new TrainingDataException(Where, $"'{name}' holds {e.ValueKind}; expected strings or numbers."),
        };

        private TrainingDataException Missing(string name, string what) =>
            new(Where, $"missing field '{name}' ({what}).");
    }

    /// <summary>Access to one CSV record by column name.</summary>
    private readonly record struct CsvFields(Dictionary<string, int> Header, List<string> Fields, SourceLocation Where)
    {
        public bool Has(string name) => Header.ContainsKey(name);

        public string String(string name) => Header.TryGetValue(name, out int i)
            ? Fields[i]
            : throw new TrainingDataException(Where, $"missing column '{name}' (columns: {string.Join(", ", Header.Keys)}).");

        public string? OptionalString(string name) => Header.TryGetValue(name, out int i) && Fields[i].Length > 0 ? Fields[i] : null;
    }
}
