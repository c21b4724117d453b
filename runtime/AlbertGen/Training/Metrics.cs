using System.Globalization;
using System.Text;

namespace AlbertGen.Training;

/// <summary>The evaluation metrics of the fine-tuning tasks, written to match the usual Python references.</summary>
internal static class Metrics
{
    /// <summary>Fraction of predictions equal to the reference.</summary>
    /// <param name="predictions">Predicted ids.</param>
    /// <param name="references">Reference ids.</param>
    public static double Accuracy(IReadOnlyList<int> predictions, IReadOnlyList<int> references)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(references);
        CheckLengths(predictions.Count, references.Count);
        int right = 0;
        for (int i = 0; i < predictions.Count; i++)
        {
            right += predictions[i] == references[i] ? 1 : 0;
        }

        return predictions.Count == 0 ? 0 : (double)right / predictions.Count;
    }

    /// <summary>Macro-averaged F1 over the classes that occur in predictions or references (scikit-learn's <c>f1_score(average="macro")</c>).</summary>
    /// <param name="predictions">Predicted ids.</param>
    /// <param name="references">Reference ids.</param>
    public static double MacroF1(IReadOnlyList<int> predictions, IReadOnlyList<int> references)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(references);
        CheckLengths(predictions.Count, references.Count);
        var classes = predictions.Concat(references).Distinct().ToList();
        if (classes.Count == 0)
        {
            return 0;
        }

        double sum = 0;
        foreach (int c in classes)
        {
            int tp = 0, fp = 0, fn = 0;
            for (int i = 0; i < predictions.Count; i++)
            {
                bool p = predictions[i] == c, r = references[i] == c;
                tp += p && r ? 1 : 0;
                fp += p && !r ? 1 : 0;
                fn += !p && r ? 1 : 0;
            }

            sum += F1(tp, fp, fn);
        }

        return sum / classes.Count;
    }

    /// <summary>Micro-averaged F1 of multi-label predictions (every (example, label) decision counted once).</summary>
    /// <param name="predictions">Predicted label sets as 0/1 rows.</param>
    /// <param name="references">Reference rows.</param>
    public static double MicroF1(IReadOnlyList<bool[]> predictions, IReadOnlyList<bool[]> references)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(references);
        CheckLengths(predictions.Count, references.Count);
        int tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < predictions.Count; i++)
        {
            for (int j = 0; j < predictions[i].Length; j++)
            {
                bool p = predictions[i][j], r = references[i][j];
                tp += p && r ? 1 : 0;
                fp += p && !r ? 1 : 0;
                fn += !p && r ? 1 : 0;
            }
        }

        return F1(tp, fp, fn);
    }

    /// <summary>
    /// Entity-level precision, recall and F1 over BIO/IOB2 tag sequences, as <c>seqeval</c>'s default (non-strict) mode: an
    /// entity starts at <c>B-X</c>, or at an <c>I-X</c> that does not continue an entity of type X, and must match exactly
    /// (type, start and end) to count.
    /// </summary>
    /// <param name="predictions">Predicted tag sequences.</param>
    /// <param name="references">Reference tag sequences, same lengths.</param>
    public static (double Precision, double Recall, double F1) EntityF1(IReadOnlyList<IReadOnlyList<string>> predictions, IReadOnlyList<IReadOnlyList<string>> references)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(references);
        CheckLengths(predictions.Count, references.Count);
        var predicted = new HashSet<(int, string, int, int)>();
        var gold = new HashSet<(int, string, int, int)>();
        for (int i = 0; i < predictions.Count; i++)
        {
            foreach ((string type, int start, int end) in Entities(predictions[i]))
            {
                predicted.Add((i, type, start, end));
            }

            foreach ((string type, int start, int end) in Entities(references[i]))
            {
                gold.Add((i, type, start, end));
            }
        }

        int tp = predicted.Count(gold.Contains);
        double precision = predicted.Count == 0 ? 0 : (double)tp / predicted.Count;
        double recall = gold.Count == 0 ? 0 : (double)tp / gold.Count;
        return (precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall));
    }

    /// <summary>The entities (type, first index, last index) of a BIO tag sequence.</summary>
    /// <param name="tags">The tags.</param>
    public static IEnumerable<(string Type, int Start, int End)> Entities(IReadOnlyList<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        return EntitiesOf(tags);
    }

    private static IEnumerable<(string Type, int Start, int End)> EntitiesOf(IReadOnlyList<string> tags)
    {
        string? type = null;
        int start = 0;
        for (int i = 0; i <= tags.Count; i++)
        {
            string tag = i < tags.Count ? tags[i] : "O";
            string prefix = tag.Length >= 2 && tag[1] == '-' ? tag[..1] : tag == "O" ? "O" : "B";
            string tagType = tag.Length >= 2 && tag[1] == '-' ? tag[2..] : tag;
            bool continues = type is not null && prefix == "I" && tagType == type;
            if (type is not null && !continues)
            {
                yield return (type, start, i - 1);
                type = null;
            }

            if (prefix is "B" or "I" && !continues)
            {
                type = tagType;
                start = i;
            }
        }
    }

    /// <summary>Mean squared error.</summary>
    /// <param name="predictions">Predicted values.</param>
    /// <param name="references">Reference values.</param>
    public static double MeanSquaredError(IReadOnlyList<double> predictions, IReadOnlyList<double> references)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(references);
        CheckLengths(predictions.Count, references.Count);
        return predictions.Count == 0 ? 0 : predictions.Zip(references, (p, r) => (p - r) * (p - r)).Average();
    }

    /// <summary>Pearson correlation (0 when either side is constant).</summary>
    /// <param name="predictions">Predicted values.</param>
    /// <param name="references">Reference values.</param>
    public static double Pearson(IReadOnlyList<double> predictions, IReadOnlyList<double> references)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(references);
        CheckLengths(predictions.Count, references.Count);
        if (predictions.Count < 2)
        {
            return 0;
        }

        double mp = predictions.Average(), mr = references.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < predictions.Count; i++)
        {
            double dx = predictions[i] - mp, dy = references[i] - mr;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }

        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>SQuAD exact match: 1 when the normalised prediction equals any normalised answer.</summary>
    /// <param name="prediction">Predicted answer text.</param>
    /// <param name="answers">Gold answers.</param>
    public static double ExactMatch(string prediction, IEnumerable<string> answers)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(answers);
        return answers.Any(a => NormalizeAnswer(a) == NormalizeAnswer(prediction)) ? 1 : 0;
    }

    /// <summary>SQuAD F1: the best bag-of-words F1 between the normalised prediction and any answer.</summary>
    /// <param name="prediction">Predicted answer text.</param>
    /// <param name="answers">Gold answers.</param>
    public static double AnswerF1(string prediction, IEnumerable<string> answers)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(answers);
        string[] predicted = NormalizeAnswer(prediction).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        double best = 0;
        foreach (string answer in answers)
        {
            string[] gold = NormalizeAnswer(answer).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (predicted.Length == 0 || gold.Length == 0)
            {
                best = Math.Max(best, predicted.Length == gold.Length ? 1 : 0);
                continue;
            }

            var counts = gold.GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count());
            int common = 0;
            foreach (string w in predicted)
            {
                if (counts.TryGetValue(w, out int c) && c > 0)
                {
                    counts[w] = c - 1;
                    common++;
                }
            }

            if (common > 0)
            {
                double precision = (double)common / predicted.Length, recall = (double)common / gold.Length;
                best = Math.Max(best, 2 * precision * recall / (precision + recall));
            }
        }

        return best;
    }

    /// <summary>SQuAD's answer normalisation: lower case, punctuation removed, articles (a, an, the) removed, spaces collapsed.</summary>
    /// <param name="text">An answer.</param>
    public static string NormalizeAnswer(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder();
        foreach (char c in text.ToLowerInvariant())
        {
            if (!char.IsPunctuation(c) && !char.IsSymbol(c))
            {
                sb.Append(c);
            }
        }

        var words = sb.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w is not ("a" or "an" or "the"));
        return string.Join(' ', words);
    }

    private static double F1(int tp, int fp, int fn) => tp == 0 ? 0 : 2.0 * tp / ((2.0 * tp) + fp + fn);

    private static void CheckLengths(int predictions, int references)
    {
        if (predictions != references)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{predictions} predictions for {references} references."));
        }
    }
}
