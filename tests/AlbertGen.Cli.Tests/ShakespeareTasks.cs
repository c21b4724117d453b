using System.Text.Json;
using System.Text.RegularExpressions;

namespace AlbertGen.Cli.Tests;

/// <summary>
/// Three small fine-tuning tasks made from tinyshakespeare.txt by fixed rules, to check that the default model's
/// fine-tuning defaults learn (<c>models/shakespeare/README.md</c>, "Fine-tuning"). Deterministic: the same corpus gives
/// the same files. A line qualifies when it is dialogue (not a speaker line such as <c>ROMEO:</c>) of at least four
/// words; qualifying lines alternate between the training pool (three of four) and the held-out pool (every fourth),
/// so held-out lines are never training lines; each task takes the first lines of each class from each pool in corpus
/// order, balanced between classes.
/// </summary>
internal static partial class ShakespeareTasks
{
    /// <summary>Lines per class in the training file (twice this many lines in all).</summary>
    public const int TrainPerClass = 240;

    /// <summary>Lines per class in the held-out file.</summary>
    public const int HeldOutPerClass = 100;

    /// <summary>Keyword task: "yes" when the line names a king, queen or crown (the words, plurals and possessives).</summary>
    public static readonly string[] Keywords = ["king", "queen", "crown"];

    /// <summary>Sentiment-style task: "positive" when a line has one of these words and none of <see cref="NegativeWords"/>.</summary>
    public static readonly string[] PositiveWords =
        ["love", "loves", "loved", "joy", "happy", "sweet", "gentle", "fair", "good", "kind", "dear", "blessed", "merry", "glad", "noble", "gracious", "peace"];

    /// <summary>Sentiment-style task: "negative" when a line has one of these words and none of <see cref="PositiveWords"/>.</summary>
    public static readonly string[] NegativeWords =
        ["hate", "death", "dead", "die", "foul", "villain", "curse", "cursed", "grief", "woe", "blood", "bloody", "fear", "poison", "false", "vile", "traitor", "murder", "shame", "sorrow"];

    /// <summary>Tagging task: words that are one of these character names (any case, trailing punctuation or 's) are tagged B-NAME, others O.</summary>
    public static readonly string[] Names =
    [
        "romeo", "juliet", "tybalt", "mercutio", "benvolio", "capulet", "montague", "paris", "gloucester", "clarence",
        "edward", "richard", "henry", "warwick", "buckingham", "hastings", "york", "lancaster", "margaret", "elizabeth",
        "marcius", "coriolanus", "menenius", "aufidius", "volumnia", "petruchio", "katharina", "kate", "bianca",
        "lucentio", "tranio", "baptista", "angelo", "isabella", "claudio", "lucio", "leontes", "hermione", "polixenes",
        "camillo", "paulina", "perdita", "florizel", "prospero", "miranda", "bolingbroke", "harry", "clifford",
    ];

    /// <summary>The three tasks' names, as the file names use them.</summary>
    public static readonly string[] TaskNames = ["keyword", "sentiment", "names"];

    /// <summary>Writes <c>{task}.train.jsonl</c> and <c>{task}.test.jsonl</c> for every task into <paramref name="directory"/>.</summary>
    public static void Write(string corpusFile, string directory)
    {
        Directory.CreateDirectory(directory);
        var (train, heldOut) = Pools(File.ReadLines(corpusFile));
        foreach (string task in TaskNames)
        {
            WriteTask(task, train, Path.Combine(directory, task + ".train.jsonl"), TrainPerClass);
            WriteTask(task, heldOut, Path.Combine(directory, task + ".test.jsonl"), HeldOutPerClass);
        }
    }

    /// <summary>The task's label of a line, or null when the task skips the line.</summary>
    public static string? Label(string task, string line)
    {
        string[] words = [.. Word().Matches(line).Select(m => m.Value.ToLowerInvariant())];
        switch (task)
        {
            case "keyword":
                return words.Any(w => Keywords.Contains(Stem(w))) ? "yes" : "no";
            case "sentiment":
                bool positive = words.Any(PositiveWords.Contains), negative = words.Any(NegativeWords.Contains);
                return positive == negative ? null : positive ? "positive" : "negative";
            case "names":
                return words.Any(w => Names.Contains(Stem(w))) ? "names" : "none";
            default:
                throw new ArgumentOutOfRangeException(nameof(task), task, "unknown task");
        }
    }

    /// <summary>The tagging task's tag of one whitespace-separated word.</summary>
    public static string Tag(string word)
    {
        Match match = Word().Match(word);
        return match.Success && Names.Contains(Stem(match.Value.ToLowerInvariant())) ? "B-NAME" : "O";
    }

    private static (List<string> Train, List<string> HeldOut) Pools(IEnumerable<string> corpus)
    {
        var train = new List<string>();
        var heldOut = new List<string>();
        foreach (string raw in corpus)
        {
            string line = raw.Trim();
            if (SpeakerLine().IsMatch(line) || line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length < 4)
            {
                continue;
            }

            ((train.Count + heldOut.Count) % 4 == 3 ? heldOut : train).Add(line);
        }

        return (train, heldOut);
    }

    private static void WriteTask(string task, List<string> pool, string path, int perClass)
    {
        var byClass = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string line in pool)
        {
            if (Label(task, line) is { } label)
            {
                List<string> lines = byClass.TryGetValue(label, out var existing) ? existing : byClass[label] = [];
                if (lines.Count < perClass)
                {
                    lines.Add(line);
                }
            }
        }

        if (byClass.Count != 2 || byClass.Values.Any(l => l.Count < perClass))
        {
            throw new InvalidDataException($"{task}: the corpus has too few lines of some class ({string.Join(", ", byClass.Select(kv => $"{kv.Key} {kv.Value.Count}"))}).");
        }

        // Classes interleaved so the file reads like a shuffled data set; training shuffles again anyway.
        var rows = new List<string>();
        List<string>[] classes = [.. byClass.Values];
        for (int i = 0; i < perClass; i++)
        {
            foreach (List<string> lines in classes)
            {
                rows.Add(task == "names" ? TaggingRow(lines[i]) : ClassificationRow(lines[i], Label(task, lines[i])!));
            }
        }

        File.WriteAllLines(path, rows);
    }

    private static string ClassificationRow(string line, string label) =>
        JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = line, ["label"] = label });

    private static string TaggingRow(string line)
    {
        string[] tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return JsonSerializer.Serialize(new Dictionary<string, string[]> { ["tokens"] = tokens, ["tags"] = [.. tokens.Select(Tag)] });
    }

    private static string Stem(string word) =>
        word.EndsWith("'s", StringComparison.Ordinal) ? word[..^2] : word.Length > 3 && word.EndsWith('s') && !Names.Contains(word) ? word[..^1] : word;

    [GeneratedRegex(@"^[A-Za-z][A-Za-z ]*:$")]
    private static partial Regex SpeakerLine();

    [GeneratedRegex(@"[A-Za-z]+(?:'[A-Za-z]+)?")]
    private static partial Regex Word();
}
