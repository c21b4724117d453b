using AlbertGen.Training;

namespace AlbertGen.Tests.Training;

public class PretrainingDataTests
{
    private const int Cls = 2, Sep = 3, MaskId = 4, Vocab = 1000;
    private static readonly int[] Specials = [0, 1, Cls, Sep, MaskId];

    private static NgramMasking Masker() => new(Vocab, MaskId, Specials);

    /// <summary>A sequence [CLS] a… [SEP] b… [SEP] of distinct ordinary ids, so each position's original is known.</summary>
    private static int[] Sequence(int length)
    {
        var ids = new int[length];
        for (int i = 0; i < length; i++)
        {
            ids[i] = 100 + i;
        }

        ids[0] = Cls;
        ids[length / 2] = Sep;
        ids[^1] = Sep;
        return ids;
    }

    [Fact]
    public void Masking_predicts_fifteen_percent_in_spans_of_at_most_three_and_never_specials()
    {
        var random = new TrainingRandom(1);
        NgramMasking masker = Masker();
        long predicted = 0, total = 0;
        var spanCounts = new int[4];
        for (int s = 0; s < 2000; s++)
        {
            int[] original = Sequence(128);
            int[] ids = (int[])original.Clone();
            long[] labels = masker.Mask(ids, random);
            total += ids.Length;
            int run = 0;
            for (int i = 0; i <= ids.Length; i++)
            {
                bool isLabel = i < ids.Length && labels[i] != -100;
                if (isLabel)
                {
                    Assert.DoesNotContain(original[i], Specials);
                    Assert.Equal(original[i], labels[i]);
                    predicted++;
                    run++;
                }
                else
                {
                    Assert.True(i == ids.Length || ids[i] == original[i], "an unpredicted token changed");
                    if (run > 0)
                    {
                        // Adjacent spans can touch, so a run may exceed 3; count runs only as a lower bound on span use.
                        spanCounts[Math.Min(run, 3)]++;
                    }

                    run = 0;
                }
            }

            Assert.Equal(Math.Round(128 * 0.15), labels.Count(l => l != -100));
        }

        Assert.InRange((double)predicted / total, 0.145, 0.155);
        Assert.True(spanCounts[2] + spanCounts[3] > spanCounts[1] / 4, "n-gram spans are used");
    }

    [Fact]
    public void Span_lengths_follow_one_over_n_and_never_exceed_three()
    {
        // One token budget per sequence of exactly three free positions isolated by specials: each span's length is
        // visible as the run length, since nothing else can be masked next to it.
        var masker = new NgramMasking(Vocab, MaskId, Specials, maskedLmProbability: 0.15, maxPredictions: 3, maxNgram: 3);
        var random = new TrainingRandom(7);
        var counts = new int[5];
        for (int s = 0; s < 20000; s++)
        {
            int[] ids = [Cls, 100, 101, 102, Sep, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, Sep];
            long[] labels = masker.Mask(ids, random);
            int firstRun = 0;
            int start = Array.FindIndex(labels, l => l != -100);
            while (start + firstRun < labels.Length && labels[start + firstRun] != -100)
            {
                firstRun++;
            }

            counts[Math.Min(firstRun, 4)]++;
        }

        Assert.Equal(0, counts[4]);

        // The first chosen span is drawn with p(n) ∝ 1/n = 6/11, 3/11, 2/11 (shortened only at the isolated end positions,
        // and adjacent later spans can merge with it), so n = 1 stays the most common and every length occurs.
        Assert.True(counts[1] > counts[2] && counts[2] > 0 && counts[3] > 0, string.Join(",", counts));
    }

    [Fact]
    public void Replacements_are_eighty_percent_mask_ten_percent_random_ten_percent_kept()
    {
        var random = new TrainingRandom(3);
        NgramMasking masker = Masker();
        long mask = 0, kept = 0, replaced = 0;
        for (int s = 0; s < 3000; s++)
        {
            int[] original = Sequence(128);
            int[] ids = (int[])original.Clone();
            long[] labels = masker.Mask(ids, random);
            for (int i = 0; i < ids.Length; i++)
            {
                if (labels[i] == -100)
                {
                    continue;
                }

                if (ids[i] == MaskId)
                {
                    mask++;
                }
                else if (ids[i] == original[i])
                {
                    kept++;
                }
                else
                {
                    replaced++;
                    Assert.DoesNotContain(ids[i], Specials);
                }
            }
        }

        double n = mask + kept + replaced;
        Assert.InRange(mask / n, 0.79, 0.81);
        Assert.InRange(kept / n, 0.093, 0.107);
        Assert.InRange(replaced / n, 0.093, 0.107);
    }

    [Fact]
    public void Sentence_order_pairs_are_swapped_half_the_time_fit_the_length_and_keep_segments_adjacent()
    {
        // Documents of lines whose ids increase through the document: in-order pairs have A's ids before B's.
        var documents = new List<IReadOnlyList<int[]>>();
        var random = new TrainingRandom(11);
        for (int d = 0; d < 400; d++)
        {
            var lines = new List<int[]>();
            int next = 10;
            for (int l = 0; l < 12; l++)
            {
                int length = 3 + random.Next(15);
                lines.Add(Enumerable.Range(next, length).ToArray());
                next += length;
            }

            documents.Add(lines);
        }

        var pairs = new SentenceOrderPairs(64, Cls, Sep, new NgramMasking(Vocab, MaskId, Specials, maskedLmProbability: 0));
        List<PretrainingInstance> instances = pairs.CreateEpoch(PretrainingCorpus.FromTokenIds(documents), seed: 5, epoch: 0);
        int swapped = 0, shortOnes = 0;
        foreach (PretrainingInstance x in instances)
        {
            Assert.True(x.InputIds.Length <= 64);
            Assert.Equal(Cls, x.InputIds[0]);
            Assert.Equal(Sep, x.InputIds[^1]);
            int[] original = x.InputIds.Select((id, i) => x.Labels[i] == -100 ? id : (int)x.Labels[i]).ToArray(); // undo masking
            int sep = Array.IndexOf(original, Sep);
            int[] a = original[1..sep], b = original[(sep + 1)..^1];
            Assert.NotEmpty(a);
            Assert.NotEmpty(b);
            Assert.All(x.TokenTypeIds[..(sep + 1)], t => Assert.Equal(0, t));
            Assert.All(x.TokenTypeIds[(sep + 1)..], t => Assert.Equal(1, t));
            bool inOrder = a.Max() < b.Min();
            bool reversed = b.Max() < a.Min();
            Assert.True(x.SentenceOrderLabel == 0 ? inOrder : reversed, "label matches the order of the halves");
            swapped += x.SentenceOrderLabel;
            shortOnes += x.InputIds.Length < 40 ? 1 : 0;
        }

        Assert.InRange((double)swapped / instances.Count, 0.45, 0.55);
        Assert.True(shortOnes > 0, "short sequences occur");
    }

    [Fact]
    public void A_corpus_read_as_one_document_gets_a_tenth_of_short_sequences_in_every_pass()
    {
        // 40,000 lines of 5 tokens as one document: full-length instances have 61 tokens, short ones a random 2–61.
        var lines = Enumerable.Range(0, 40000).Select(l => Enumerable.Range(10 + (l % 50), 5).ToArray()).ToList();
        var corpus = PretrainingCorpus.FromTokenIds([lines]);
        var pairs = new SentenceOrderPairs(64, Cls, Sep, new NgramMasking(Vocab, MaskId, Specials, maskedLmProbability: 0));
        for (int epoch = 0; epoch < 3; epoch++)
        {
            List<PretrainingInstance> instances = pairs.CreateEpoch(corpus, seed: 8, epoch);
            double shortShare = instances.Count(x => x.InputIds.Length < 55) / (double)instances.Count;
            Assert.InRange(shortShare, 0.06, 0.2); // ≈ 8 % of targets are short and under 52 tokens; a short one takes fewer lines
        }
    }

    [Fact]
    public void The_same_seed_and_epoch_give_the_same_instances_and_another_epoch_differs()
    {
        var documents = Enumerable.Range(0, 50).Select(d =>
            (IReadOnlyList<int[]>)Enumerable.Range(0, 6).Select(l => Enumerable.Range(10 + (l * 10), 8).ToArray()).ToList()).ToList();
        var corpus = PretrainingCorpus.FromTokenIds(documents);
        var pairs = new SentenceOrderPairs(32, Cls, Sep, Masker());
        var first = pairs.CreateEpoch(corpus, 1, 0);
        var again = pairs.CreateEpoch(corpus, 1, 0);
        var other = pairs.CreateEpoch(corpus, 1, 1);
        Assert.Equal(first.Select(i => string.Join(",", i.InputIds)), again.Select(i => string.Join(",", i.InputIds)));
        Assert.NotEqual(first.Select(i => string.Join(",", i.InputIds)), other.Select(i => string.Join(",", i.InputIds)));
    }
}
