using System.Globalization;
using AlbertGen.Modeling;
using AlbertGen.Tokenization;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>Sequence classification, multi-label classification and regression on <see cref="TextExample"/>s.</summary>
internal sealed class SequenceTaskAdapter : BatchEvaluatingTaskAdapter
{
    private readonly FineTuneTask _task;
    private LabelSet? _labels;
    private AlbertForSequenceClassification? _model;
    private readonly List<float[]> _logits = [];

    public SequenceTaskAdapter(AlbertTokenizer tokenizer, FineTuneOptions options, FineTuneSettings settings) : base(tokenizer, options, settings)
    {
        _task = options.Task;
    }

    protected override nn.Module? ModelOrNull => _model;

    public override IReadOnlyList<string> LabelNames => _labels?.Names ?? [];

    public override void PrepareLabels(IReadOnlyList<TrainingExample> train)
    {
        if (_task == FineTuneTask.Regression)
        {
            return;
        }

        var seen = new List<string>();
        for (int i = 0; i < train.Count; i++)
        {
            var example = Cast(train[i], i);
            if (_task == FineTuneTask.SequenceClassification && example.Labels.Count != 1)
            {
                throw new TrainingDataException(Where(example, i), $"expected one label, found {example.Labels.Count}.");
            }

            seen.AddRange(example.Labels);
        }

        _labels = LabelSet.Create(seen, Options.Labels);
    }

    public override List<EncodedExample> Encode(IReadOnlyList<TrainingExample> examples)
    {
        var encoded = new List<EncodedExample>(examples.Count);
        for (int i = 0; i < examples.Count; i++)
        {
            TextExample example = Cast(examples[i], i);
            AlbertEncoding encoding = Tokenizer.Encode(example.Text, example.TextPair, Truncating);
            (int[][] ids, int[][] types) = Rows(encoding);
            long classLabel = 0;
            float[]? floats = null;
            switch (_task)
            {
                case FineTuneTask.Regression:
                    if (example.Labels.Count != 1 || !double.TryParse(example.Labels[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                    {
                        throw new TrainingDataException(Where(example, i), $"regression needs one number as label, found '{string.Join(";", example.Labels)}'.");
                    }

                    floats = [(float)value];
                    break;
                case FineTuneTask.MultiLabelClassification:
                    floats = new float[_labels!.Count];
                    foreach (string label in example.Labels)
                    {
                        floats[_labels.IdOf(label, Where(example, i))] = 1;
                    }

                    break;
                default:
                    if (example.Labels.Count != 1)
                    {
                        throw new TrainingDataException(Where(example, i), $"expected one label, found {example.Labels.Count}.");
                    }

                    classLabel = _labels!.IdOf(example.Labels[0], Where(example, i));
                    break;
            }

            encoded.Add(new EncodedExample { InputIds = ids, TokenTypeIds = types, ClassLabel = classLabel, FloatLabels = floats, ExampleIndex = i });
        }

        return encoded;
    }

    public override void CreateModel(AlbertConfig baseConfig, string? pretrained)
    {
        (IReadOnlyList<string> names, bool isExplicit, ProblemType problem) = _task switch
        {
            FineTuneTask.Regression => ((IReadOnlyList<string>)["LABEL_0"], false, ProblemType.Regression),
            FineTuneTask.MultiLabelClassification => (_labels!.Names, _labels.IsExplicit, ProblemType.MultiLabelClassification),
            _ => (_labels!.Names, _labels.IsExplicit, ProblemType.SingleLabelClassification),
        };
        AlbertConfig config = ConfigLabels.With(baseConfig, names, isExplicit, problem, [AlbertHeadRegistry.Of(AlbertHeads.SequenceClassification).HuggingFaceName]);
        _model = Build<AlbertForSequenceClassification, SequenceClassifierOutput>(c => new AlbertForSequenceClassification(c), config, pretrained);
    }

    public override Tensor Loss(TrainingBatch batch)
    {
        using SequenceClassifierOutput output = _model!.forward(batch.Inputs);
        return output.Loss!.alias().DetachFromDisposeScope();
    }

    protected override void ClearPredictions() => _logits.Clear();

    protected override void Collect(TrainingBatch batch)
    {
        using SequenceClassifierOutput output = _model!.forward(batch.Inputs);
        float[] flat = Floats(output.Logits);
        int width = (int)output.Logits.shape[1];
        for (int b = 0; b < batch.Examples.Count; b++)
        {
            _logits.Add(flat[(b * width)..((b + 1) * width)]);
        }
    }

    protected override EvaluationResult EndEvaluation()
    {
        IReadOnlyList<TrainingExample> examples = EvaluationExamples;
        var metrics = new Dictionary<string, double>();
        switch (_task)
        {
            case FineTuneTask.Regression:
                var predicted = _logits.Select(l => (double)l[0]).ToList();
                var reference = examples.Select(e => double.Parse(((TextExample)e).Labels[0], CultureInfo.InvariantCulture)).ToList();
                metrics["mse"] = Metrics.MeanSquaredError(predicted, reference);
                metrics["pearson"] = Metrics.Pearson(predicted, reference);
                return new EvaluationResult(metrics, "pearson");
            case FineTuneTask.MultiLabelClassification:
                var predictedSets = _logits.Select(l => l.Select(x => x > 0).ToArray()).ToList(); // sigmoid(x) > 0.5
                var referenceSets = new List<bool[]>();
                for (int i = 0; i < examples.Count; i++)
                {
                    var row = new bool[_labels!.Count];
                    foreach (string label in ((TextExample)examples[i]).Labels)
                    {
                        row[_labels.IdOf(label, Where(examples[i], i))] = true;
                    }

                    referenceSets.Add(row);
                }

                metrics["f1"] = Metrics.MicroF1(predictedSets, referenceSets);
                metrics["exact_set_accuracy"] = predictedSets.Zip(referenceSets, (p, r) => p.SequenceEqual(r) ? 1.0 : 0.0).DefaultIfEmpty().Average();
                return new EvaluationResult(metrics, "f1");
            default:
                var predictions = _logits.Select(ArgMax).ToList();
                var references = examples.Select((e, i) => _labels!.IdOf(((TextExample)e).Labels[0], Where(e, i))).ToList();
                metrics["accuracy"] = Metrics.Accuracy(predictions, references);
                metrics["macro_f1"] = Metrics.MacroF1(predictions, references);
                return new EvaluationResult(metrics, "accuracy");
        }
    }

    public override void Save(string directory) => _model!.Save(directory);

    internal static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static TextExample Cast(TrainingExample example, int index) => example as TextExample
        ?? throw new TrainingDataException(Where(example, index), $"expected a text example for this task, found {example.GetType().Name}.");
}
