using AlbertGen.Modeling;
using AlbertGen.Tasks;
using AlbertGen.Tokenization;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// Token classification on <see cref="TaggingExample"/>s. Each word is tokenised on its own (as HuggingFace does with
/// <c>is_split_into_words=True</c>); the word's tag goes on its first sub-token and -100 on the others and on the
/// special tokens, as in HuggingFace's <c>run_ner.py</c>. Evaluation tags the words joined by spaces with
/// <see cref="TokenClassificationPipeline"/> as <c>albertgen tag --aggregation first --keep-all</c> does and scores the
/// groups it prints: entity-level precision, recall and F1 (the printed entities' label and char span against the
/// reference's B-/I- runs, as seqeval counts them) when every label is BIO, macro F1 over the words' labels otherwise,
/// and word accuracy.
/// </summary>
internal sealed class TokenTaskAdapter : TaskAdapter
{
    private LabelSet? _labels;
    private AlbertForTokenClassification? _model;

    public TokenTaskAdapter(AlbertTokenizer tokenizer, FineTuneOptions options, FineTuneSettings settings) : base(tokenizer, options, settings)
    {
    }

    protected override nn.Module? ModelOrNull => _model;

    public override IReadOnlyList<string> LabelNames => _labels?.Names ?? [];

    public override void PrepareLabels(IReadOnlyList<TrainingExample> train)
    {
        var seen = new List<string>();
        for (int i = 0; i < train.Count; i++)
        {
            seen.AddRange(Cast(train[i], i).Tags);
        }

        _labels = LabelSet.Create(seen, Options.Labels);
    }

    public override List<EncodedExample> Encode(IReadOnlyList<TrainingExample> examples)
    {
        var encoded = new List<EncodedExample>(examples.Count);
        int budget = Settings.MaxSequenceLength - 2;
        for (int i = 0; i < examples.Count; i++)
        {
            TaggingExample example = Cast(examples[i], i);
            var ids = new List<int> { Tokenizer.ClsTokenId };
            var labels = new List<long> { -100 };
            for (int w = 0; w < example.Words.Count && ids.Count - 1 < budget; w++)
            {
                int tag = _labels!.IdOf(example.Tags[w], Where(example, i));
                int[] pieces = Tokenizer.EncodeToIds(example.Words[w], addSpecialTokens: false);
                for (int p = 0; p < pieces.Length && ids.Count - 1 < budget; p++)
                {
                    ids.Add(pieces[p]);
                    labels.Add(p == 0 ? tag : -100);
                }
            }

            ids.Add(Tokenizer.SepTokenId);
            labels.Add(-100);
            encoded.Add(new EncodedExample
            {
                InputIds = [[.. ids]],
                TokenTypeIds = [new int[ids.Count]],
                TokenLabels = [.. labels],
                ExampleIndex = i,
            });
        }

        return encoded;
    }

    public override void CreateModel(AlbertConfig baseConfig, string? pretrained)
    {
        AlbertConfig config = ConfigLabels.With(baseConfig, _labels!.Names, _labels.IsExplicit, null, [AlbertHeadRegistry.Of(AlbertHeads.TokenClassification).HuggingFaceName]);
        _model = Build<AlbertForTokenClassification, TokenClassifierOutput>(c => new AlbertForTokenClassification(c), config, pretrained);
    }

    public override Tensor Loss(TrainingBatch batch)
    {
        using TokenClassifierOutput output = _model!.forward(batch.Inputs);
        return output.Loss!.alias().DetachFromDisposeScope();
    }

    public override EvaluationResult Evaluate(IReadOnlyList<TrainingExample> examples, List<EncodedExample> rows, int batchSize, int padId)
    {
        // The decoder of `albertgen tag --aggregation first --keep-all` (TokenClassificationPipeline on the words joined by
        // spaces: each word takes its first token's label, adjacent words are grouped by their B-/I- tags), so the
        // score printed here is the score of what users run: entities are compared as the pipeline prints them, and each
        // word's predicted tag (for accuracy and non-BIO labels) is read back from the groups.
        using var pipeline = new TokenClassificationPipeline(_model!, Tokenizer, new PipelineOptions { BatchSize = batchSize });
        var taggings = examples.Cast<TaggingExample>().ToList();
        IReadOnlyList<IReadOnlyList<TokenEntity>> groups = pipeline.PredictBatch([.. taggings.Select(t => string.Join(' ', t.Words))], AggregationStrategy.First, ignoreLabels: []);
        var predicted = new List<IReadOnlyList<string>>();
        var gold = new List<IReadOnlyList<string>>();
        for (int i = 0; i < taggings.Count; i++)
        {
            predicted.Add(WordTags(taggings[i].Words, groups[i]));
            gold.Add(taggings[i].Tags);
        }

        var flatPredicted = predicted.SelectMany(p => p).ToList();
        var flatGold = gold.SelectMany(g => g).ToList();
        var metrics = new Dictionary<string, double>
        {
            ["accuracy"] = flatGold.Count == 0 ? 0 : flatPredicted.Zip(flatGold).Count(p => p.First == p.Second) / (double)flatGold.Count,
        };
        if (_labels!.IsBio)
        {
            // Entities as the pipeline prints them (label, start char, end char) against the reference's B-X I-X… runs.
            int found = 0, expected = 0, right = 0;
            for (int i = 0; i < taggings.Count; i++)
            {
                var printed = groups[i].Where(g => g.Entity != "O").Select(g => (g.Entity, g.Start, g.End)).ToHashSet();
                var reference = ReferenceEntities(taggings[i]).ToHashSet();
                found += printed.Count;
                expected += reference.Count;
                right += printed.Count(reference.Contains);
            }

            double precision = found == 0 ? 0 : (double)right / found, recall = expected == 0 ? 0 : (double)right / expected;
            metrics["precision"] = precision;
            metrics["recall"] = recall;
            metrics["f1"] = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        }
        else
        {
            var ids = _labels.Names.Select((name, id) => (name, id)).ToDictionary(x => x.name, x => x.id, StringComparer.Ordinal);
            metrics["f1"] = Metrics.MacroF1([.. flatPredicted.Select(t => ids.GetValueOrDefault(t, -1))], [.. flatGold.Select(t => ids.GetValueOrDefault(t, -1))]);
        }

        return new EvaluationResult(metrics, "f1");
    }

    /// <summary>The reference's entities (seqeval's chunks: B-X or a stray I-X opens one, I-X continues it) as (type, start char, end char) of the words joined by spaces.</summary>
    private static IEnumerable<(string Type, int Start, int End)> ReferenceEntities(TaggingExample example)
    {
        (string Type, int Start, int End)? open = null;
        int position = 0;
        for (int w = 0; w < example.Words.Count; w++)
        {
            string tag = example.Tags[w];
            int start = position, end = position + example.Words[w].Length;
            position = end + 1;
            if (open is { } current && tag == "I-" + current.Type)
            {
                open = current with { End = end };
                continue;
            }

            if (open is { } finished)
            {
                yield return finished;
            }

            open = tag == "O" ? null : (tag[2..], start, end);
        }

        if (open is { } last)
        {
            yield return last;
        }
    }

    /// <summary>
    /// Each word's tag in the pipeline's groups (the words joined by single spaces): the group covering its first char,
    /// <c>B-</c> on a group's first word and <c>I-</c> after it when the labels are BIO; a word no group covers (cut by
    /// truncation) gets an empty tag, which matches no reference.
    /// </summary>
    private List<string> WordTags(IReadOnlyList<string> words, IReadOnlyList<TokenEntity> groups)
    {
        var tags = new List<string>(words.Count);
        int start = 0;
        TokenEntity? previous = null;
        foreach (string word in words)
        {
            TokenEntity? group = groups.FirstOrDefault(g => g.Start <= start && start < g.End);
            tags.Add(group is null ? "" : !_labels!.IsBio || group.Entity == "O" ? group.Entity : (ReferenceEquals(group, previous) ? "I-" : "B-") + group.Entity);
            previous = group;
            start += word.Length + 1;
        }

        return tags;
    }

    public override void Save(string directory) => _model!.Save(directory);

    private static TaggingExample Cast(TrainingExample example, int index) => example as TaggingExample
        ?? throw new TrainingDataException(Where(example, index), $"expected a tagging example (tokens and tags), found {example.GetType().Name}.");
}
