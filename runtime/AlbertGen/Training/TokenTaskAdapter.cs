using AlbertGen.Modeling;
using AlbertGen.Tokenization;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// Token classification on <see cref="TaggingExample"/>s. Each word is tokenised on its own (as HuggingFace does with
/// <c>is_split_into_words=True</c>); the word's tag goes on its first sub-token and -100 on the others and on the
/// special tokens, as in HuggingFace's <c>run_ner.py</c>. Evaluation reads the prediction of each word's first sub-token.
/// </summary>
internal sealed class TokenTaskAdapter : BatchEvaluatingTaskAdapter
{
    private LabelSet? _labels;
    private AlbertForTokenClassification? _model;
    private readonly List<int[]> _predictions = [];

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
        AlbertConfig config = ConfigLabels.With(baseConfig, _labels!.Names, _labels.IsExplicit, null, ["AlbertForTokenClassification"]);
        _model = Build<AlbertForTokenClassification, TokenClassifierOutput>(c => new AlbertForTokenClassification(c), config, pretrained);
    }

    public override Tensor Loss(TrainingBatch batch)
    {
        using TokenClassifierOutput output = _model!.forward(batch.Inputs);
        return output.Loss!.alias().DetachFromDisposeScope();
    }

    protected override void ClearPredictions() => _predictions.Clear();

    protected override void Collect(TrainingBatch batch)
    {
        using TokenClassifierOutput output = _model!.forward(batch.Inputs);
        using Tensor argmax = output.Logits.argmax(-1).to(ScalarType.Int32, CPU).contiguous();
        int[] flat = argmax.data<int>().ToArray();
        int length = (int)argmax.shape[1];
        for (int b = 0; b < batch.Examples.Count; b++)
        {
            long[] labels = batch.Examples[b].TokenLabels!;
            var words = new List<int>();
            for (int t = 0; t < labels.Length; t++)
            {
                if (labels[t] != -100)
                {
                    words.Add(flat[(b * length) + t]);
                }
            }

            _predictions.Add([.. words]);
        }
    }

    protected override EvaluationResult EndEvaluation()
    {
        IReadOnlyList<TrainingExample> examples = EvaluationExamples;
        var predicted = new List<IReadOnlyList<string>>();
        var gold = new List<IReadOnlyList<string>>();
        var flatPredicted = new List<int>();
        var flatGold = new List<int>();
        for (int i = 0; i < examples.Count; i++)
        {
            var example = (TaggingExample)examples[i];
            int[] words = _predictions[i];

            // Words cut by truncation (or without sub-tokens) are compared as predicted "O"/first label, like HF scripts drop them; keep the covered ones.
            predicted.Add(words.Select(id => _labels!.Names[id]).ToArray());
            gold.Add(CoveredTags(example, words.Length));
            flatPredicted.AddRange(words);
            flatGold.AddRange(gold[^1].Select(t => _labels!.IdOf(t, Where(example, i))));
        }

        var metrics = new Dictionary<string, double> { ["accuracy"] = Metrics.Accuracy(flatPredicted, flatGold) };
        if (_labels!.IsBio)
        {
            (double p, double r, double f) = Metrics.EntityF1(predicted, gold);
            metrics["precision"] = p;
            metrics["recall"] = r;
            metrics["f1"] = f;
        }
        else
        {
            metrics["f1"] = Metrics.MacroF1(flatPredicted, flatGold);
        }

        return new EvaluationResult(metrics, "f1");
    }

    public override void Save(string directory) => _model!.Save(directory);

    private IReadOnlyList<string> CoveredTags(TaggingExample example, int count)
    {
        // The words that received a first sub-token, in order (words with no sub-token are skipped, as their labels were).
        var tags = new List<string>(count);
        for (int w = 0; w < example.Words.Count && tags.Count < count; w++)
        {
            if (Tokenizer.EncodeToIds(example.Words[w], addSpecialTokens: false).Length > 0)
            {
                tags.Add(example.Tags[w]);
            }
        }

        return tags;
    }

    private static TaggingExample Cast(TrainingExample example, int index) => example as TaggingExample
        ?? throw new TrainingDataException(Where(example, index), $"expected a tagging example (tokens and tags), found {example.GetType().Name}.");
}
