using System.Globalization;

namespace AlbertGen.Training;

/// <summary>
/// The label vocabulary of a classification or tagging run: class names in id order (they become <c>id2label</c>).
/// String labels are sorted ordinally, as HuggingFace's example scripts do (<c>sorted(set(labels))</c>); labels that are
/// all integers 0…n−1 keep their numbers and HuggingFace's default names <c>LABEL_i</c>.
/// </summary>
public sealed class LabelSet
{
    private readonly Dictionary<string, int> _ids;

    private LabelSet(IReadOnlyList<string> names, Dictionary<string, int> ids, bool isExplicit)
    {
        Names = names;
        _ids = ids;
        IsExplicit = isExplicit;
    }

    /// <summary>Label names by id (<c>id2label</c>).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Whether the names are real names (written to <c>config.json</c>) rather than <c>LABEL_i</c> defaults.</summary>
    public bool IsExplicit { get; }

    /// <summary>Number of labels.</summary>
    public int Count => Names.Count;

    /// <summary>Whether every name follows the BIO/IOB2 scheme (<c>O</c>, <c>B-X</c>, <c>I-X</c>), so entity-level F1 applies.</summary>
    public bool IsBio => Names.All(n => n == "O" || n.StartsWith("B-", StringComparison.Ordinal) || n.StartsWith("I-", StringComparison.Ordinal))
        && Names.Any(n => n != "O");

    /// <summary>Builds the set from the labels seen in the training data, or from a declared list.</summary>
    /// <param name="seen">Every label occurring in the training data.</param>
    /// <param name="declared">Labels given by the user (id order), or null to derive them.</param>
    /// <returns>The set.</returns>
    public static LabelSet Create(IEnumerable<string> seen, IReadOnlyList<string>? declared = null)
    {
        ArgumentNullException.ThrowIfNull(seen);
        if (declared is not null)
        {
            var map = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < declared.Count; i++)
            {
                if (!map.TryAdd(declared[i], i))
                {
                    throw new ArgumentException($"Label '{declared[i]}' is declared twice.", nameof(declared));
                }
            }

            return new LabelSet(declared, map, true);
        }

        var distinct = seen.Distinct(StringComparer.Ordinal).ToList();
        var numbers = new List<int>();
        foreach (string label in distinct)
        {
            if (!int.TryParse(label, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                numbers.Clear();
                break;
            }

            numbers.Add(n);
        }

        if (numbers.Count == distinct.Count && numbers.Count > 0 && numbers.Max() < 10_000)
        {
            int count = Math.Max(2, numbers.Max() + 1);
            var map = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                map[i.ToString(CultureInfo.InvariantCulture)] = i;
            }

            return new LabelSet(Enumerable.Range(0, count).Select(i => $"LABEL_{i}").ToArray(), map, false);
        }

        distinct.Sort(StringComparer.Ordinal);
        return new LabelSet(distinct, distinct.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i, StringComparer.Ordinal), true);
    }

    /// <summary>The id of a label.</summary>
    /// <param name="label">The label as written in the data.</param>
    /// <param name="where">Where it was read, for the error.</param>
    /// <returns>Its id.</returns>
    /// <exception cref="TrainingDataException">The label is not in the set (e.g. an evaluation label never seen in training).</exception>
    public int IdOf(string label, SourceLocation where)
    {
        if (_ids.TryGetValue(label, out int id))
        {
            return id;
        }

        string known = string.Join(", ", _ids.Keys.Take(20)) + (_ids.Count > 20 ? ", …" : "");
        throw new TrainingDataException(where, $"unknown label '{label}'; the labels of the training data are: {known}.");
    }
}
