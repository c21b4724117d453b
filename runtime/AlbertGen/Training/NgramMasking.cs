namespace AlbertGen.Training;

/// <summary>
/// ALBERT's n-gram masking (Lan et al. 2019, §4.1; <c>create_masked_lm_predictions</c> in ALBERT's
/// <c>create_pretraining_data.py</c>): spans of n consecutive tokens, n ≤ <see cref="MaxNgram"/> drawn with
/// p(n) ∝ 1/n, until round(15 % of the sequence) tokens (at most <see cref="MaxPredictions"/>) are chosen. Each chosen token
/// becomes <c>[MASK]</c> with probability 0.8, a random non-special token with 0.1, and stays with 0.1. Special tokens
/// (<c>[CLS]</c>, <c>[SEP]</c>, <c>&lt;pad&gt;</c>, …) are never chosen. Spans are over sub-word tokens.
/// </summary>
internal sealed class NgramMasking
{
    private readonly double[] _cumulative;
    private readonly HashSet<int> _special;

    /// <summary>Creates the masker.</summary>
    /// <param name="vocabularySize">Vocabulary size (random replacements are drawn below it).</param>
    /// <param name="maskTokenId">Id of <c>[MASK]</c>.</param>
    /// <param name="specialTokenIds">Ids never masked nor drawn as replacements.</param>
    /// <param name="maskedLmProbability">Fraction of tokens to predict.</param>
    /// <param name="maxPredictions">Most predicted tokens per sequence.</param>
    /// <param name="maxNgram">Longest span.</param>
    public NgramMasking(int vocabularySize, int maskTokenId, IEnumerable<int> specialTokenIds, double maskedLmProbability = 0.15, int maxPredictions = 20, int maxNgram = 3)
    {
        ArgumentNullException.ThrowIfNull(specialTokenIds);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNgram, 1);
        VocabularySize = vocabularySize;
        MaskTokenId = maskTokenId;
        _special = [.. specialTokenIds];
        MaskedLmProbability = maskedLmProbability;
        MaxPredictions = maxPredictions;
        MaxNgram = maxNgram;
        double total = Enumerable.Range(1, maxNgram).Sum(n => 1.0 / n);
        _cumulative = new double[maxNgram];
        double sum = 0;
        for (int n = 1; n <= maxNgram; n++)
        {
            sum += 1.0 / n / total;
            _cumulative[n - 1] = sum;
        }
    }

    /// <summary>Vocabulary size.</summary>
    public int VocabularySize { get; }

    /// <summary>Id of <c>[MASK]</c>.</summary>
    public int MaskTokenId { get; }

    /// <summary>Fraction of tokens predicted.</summary>
    public double MaskedLmProbability { get; }

    /// <summary>Most predicted tokens per sequence.</summary>
    public int MaxPredictions { get; }

    /// <summary>Longest span.</summary>
    public int MaxNgram { get; }

    /// <summary>Masks a sequence in place and returns its labels.</summary>
    /// <param name="ids">Token ids (changed in place).</param>
    /// <param name="random">The random source.</param>
    /// <returns>Labels: the original id at chosen positions, -100 elsewhere.</returns>
    public long[] Mask(int[] ids, TrainingRandom random)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(random);
        var labels = new long[ids.Length];
        Array.Fill(labels, -100L);
        var starts = new List<int>();
        for (int i = 0; i < ids.Length; i++)
        {
            if (!_special.Contains(ids[i]))
            {
                starts.Add(i);
            }
        }

        int budget = Math.Min(MaxPredictions, Math.Max(1, (int)Math.Round(ids.Length * MaskedLmProbability, MidpointRounding.ToEven)));
        budget = Math.Min(budget, starts.Count);
        random.Shuffle(starts);
        var chosen = new bool[ids.Length];
        int count = 0;
        foreach (int start in starts)
        {
            if (count >= budget)
            {
                break;
            }

            if (chosen[start])
            {
                continue;
            }

            int n = SampleLength(random);
            while (n > 1 && !Fits(ids, chosen, start, n, budget - count))
            {
                n--;
            }

            for (int i = start; i < start + n; i++)
            {
                chosen[i] = true;
                labels[i] = ids[i];
                double r = random.NextDouble();
                if (r < 0.8)
                {
                    ids[i] = MaskTokenId;
                }
                else if (r >= 0.9)
                {
                    ids[i] = RandomToken(random);
                }
            }

            count += n;
        }

        return labels;
    }

    private int SampleLength(TrainingRandom random)
    {
        double r = random.NextDouble();
        for (int n = 0; n < _cumulative.Length; n++)
        {
            if (r < _cumulative[n])
            {
                return n + 1;
            }
        }

        return _cumulative.Length;
    }

    private bool Fits(int[] ids, bool[] chosen, int start, int n, int remaining)
    {
        if (n > remaining || start + n > ids.Length)
        {
            return false;
        }

        for (int i = start; i < start + n; i++)
        {
            if (chosen[i] || _special.Contains(ids[i]))
            {
                return false;
            }
        }

        return true;
    }

    private int RandomToken(TrainingRandom random)
    {
        while (true)
        {
            int id = random.Next(VocabularySize);
            if (!_special.Contains(id))
            {
                return id;
            }
        }
    }
}
