namespace AlbertGen.Training;

/// <summary>
/// Builds sentence-order-prediction instances from a corpus, following <c>create_instances_from_document</c> of ALBERT's
/// <c>create_pretraining_data.py</c>:
/// <list type="bullet">
/// <item>per document, the target length is <c>max_seq_length − 3</c>, or with probability
/// <see cref="ShortSequenceProbability"/> (0.1) a uniform length in [2, max − 3], so the model also sees short inputs;</item>
/// <item>consecutive segments (lines) are gathered until the target is reached; a random cut splits them into A and B;</item>
/// <item>with probability 0.5 A and B are swapped (label 1), else kept (label 0). Both halves always come from the same
/// document and are adjacent: that is the difference between SOP and BERT's next-sentence prediction;</item>
/// <item>a pair longer than the target is trimmed one token at a time from the longer side, at its front or back at random.</item>
/// </list>
/// Two differences: where the original takes B from another document when only one segment was gathered (a leftover of
/// next-sentence prediction), this splits that segment at a random token instead, keeping SOP's "same document" promise;
/// and the target length is drawn again for each instance rather than once per document, so a corpus read as one
/// document (a play) gets short sequences in 10 % of its instances instead of in 10 % of its passes.
/// </summary>
internal sealed class SentenceOrderPairs
{
    /// <summary>Creates the builder.</summary>
    /// <param name="maxSequenceLength">Longest sequence including <c>[CLS]</c> and two <c>[SEP]</c>.</param>
    /// <param name="clsTokenId">Id of <c>[CLS]</c>.</param>
    /// <param name="sepTokenId">Id of <c>[SEP]</c>.</param>
    /// <param name="masking">The masking applied to each instance.</param>
    /// <param name="shortSequenceProbability">Probability of a shorter target length.</param>
    public SentenceOrderPairs(int maxSequenceLength, int clsTokenId, int sepTokenId, NgramMasking masking, double shortSequenceProbability = 0.1)
    {
        ArgumentNullException.ThrowIfNull(masking);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequenceLength, 5);
        MaxSequenceLength = maxSequenceLength;
        ClsTokenId = clsTokenId;
        SepTokenId = sepTokenId;
        Masking = masking;
        ShortSequenceProbability = shortSequenceProbability;
    }

    /// <summary>Longest sequence, special tokens included.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>Id of <c>[CLS]</c>.</summary>
    public int ClsTokenId { get; }

    /// <summary>Id of <c>[SEP]</c>.</summary>
    public int SepTokenId { get; }

    /// <summary>The masking.</summary>
    public NgramMasking Masking { get; }

    /// <summary>Probability of a shorter target length for a document.</summary>
    public double ShortSequenceProbability { get; }

    /// <summary>
    /// The instances of one pass over the corpus, in shuffled order. The same corpus, seed and epoch always give the same
    /// list, so a resumed run regenerates its epoch instead of storing it.
    /// </summary>
    /// <param name="corpus">The corpus.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="epoch">The pass number (each pass has new pairs and masks, like <c>dupe_factor</c>).</param>
    /// <returns>The instances.</returns>
    public List<PretrainingInstance> CreateEpoch(PretrainingCorpus corpus, long seed, int epoch)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var random = new TrainingRandom(seed, epoch, 0x50505);
        var instances = new List<PretrainingInstance>();
        foreach (IReadOnlyList<int[]> document in corpus.Documents)
        {
            AddDocument(document, random, instances);
        }

        random.Shuffle(instances);
        return instances;
    }

    /// <summary>Appends the instances of one document.</summary>
    /// <param name="document">Segments of token ids.</param>
    /// <param name="random">The random source.</param>
    /// <param name="instances">Where to add them.</param>
    public void AddDocument(IReadOnlyList<int[]> document, TrainingRandom random, List<PretrainingInstance> instances)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(instances);
        int maxTokens = MaxSequenceLength - 3;
        int target = NextTarget(random, maxTokens);
        var chunk = new List<int[]>();
        int length = 0;
        for (int i = 0; i < document.Count; i++)
        {
            chunk.Add(document[i]);
            length += document[i].Length;
            if (i < document.Count - 1 && length < target)
            {
                continue;
            }

            if (TrySplit(chunk, length, random) is ({ } a, { } b))
            {
                int order = 0;
                if (random.NextDouble() < 0.5)
                {
                    (a, b) = (b, a);
                    order = 1;
                }

                Truncate(a, b, target, random);
                instances.Add(Build(a, b, order, random));
            }

            chunk.Clear();
            length = 0;
            target = NextTarget(random, maxTokens);
        }
    }

    private int NextTarget(TrainingRandom random, int maxTokens) =>
        random.NextDouble() < ShortSequenceProbability ? random.NextInclusive(2, maxTokens) : maxTokens;

    private static (List<int>? A, List<int>? B) TrySplit(List<int[]> chunk, int length, TrainingRandom random)
    {
        if (chunk.Count >= 2)
        {
            int aEnd = random.NextInclusive(1, chunk.Count - 1);
            return ([.. chunk.Take(aEnd).SelectMany(s => s)], [.. chunk.Skip(aEnd).SelectMany(s => s)]);
        }

        if (length < 2)
        {
            return (null, null);
        }

        int cut = random.NextInclusive(1, length - 1);
        return ([.. chunk[0][..cut]], [.. chunk[0][cut..]]);
    }

    /// <summary>BERT's <c>truncate_seq_pair</c>: trim the longer side, at a random end, until the pair fits.</summary>
    private static void Truncate(List<int> a, List<int> b, int maxTokens, TrainingRandom random)
    {
        while (a.Count + b.Count > maxTokens)
        {
            List<int> longer = a.Count > b.Count ? a : b;
            if (random.NextDouble() < 0.5)
            {
                longer.RemoveAt(0);
            }
            else
            {
                longer.RemoveAt(longer.Count - 1);
            }
        }
    }

    private PretrainingInstance Build(List<int> a, List<int> b, int order, TrainingRandom random)
    {
        int[] ids = [ClsTokenId, .. a, SepTokenId, .. b, SepTokenId];
        var types = new int[ids.Length];
        Array.Fill(types, 1, a.Count + 2, b.Count + 1);
        long[] labels = Masking.Mask(ids, random);
        return new PretrainingInstance(ids, types, labels, order);
    }
}
