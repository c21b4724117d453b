using AlbertGen.Modeling;
using AlbertGen.Tokenization;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>Multiple choice on <see cref="MultipleChoiceExample"/>s: each choice is encoded as the pair (prompt, choice).</summary>
internal sealed class MultipleChoiceTaskAdapter : BatchEvaluatingTaskAdapter
{
    private AlbertForMultipleChoice? _model;
    private int _choices;
    private readonly List<int> _predictions = [];

    public MultipleChoiceTaskAdapter(AlbertTokenizer tokenizer, FineTuneOptions options, FineTuneSettings settings) : base(tokenizer, options, settings)
    {
    }

    protected override nn.Module? ModelOrNull => _model;

    public override void PrepareLabels(IReadOnlyList<TrainingExample> train) => _choices = Cast(train[0], 0).Choices.Count;

    public override List<EncodedExample> Encode(IReadOnlyList<TrainingExample> examples)
    {
        var encoded = new List<EncodedExample>(examples.Count);
        for (int i = 0; i < examples.Count; i++)
        {
            MultipleChoiceExample example = Cast(examples[i], i);
            if (example.Choices.Count != _choices)
            {
                throw new TrainingDataException(Where(example, i), $"{example.Choices.Count} choices; the training data has {_choices} per example.");
            }

            if (example.Label < 0 || example.Label >= _choices)
            {
                throw new TrainingDataException(Where(example, i), $"label {example.Label} is not a choice index (0 to {_choices - 1}).");
            }

            var rows = example.Choices.Select(c => Tokenizer.Encode(example.Prompt, c, Truncating)).ToList();
            encoded.Add(new EncodedExample
            {
                InputIds = rows.Select(r => r.InputIds.ToArray()).ToArray(),
                TokenTypeIds = rows.Select(r => r.TokenTypeIds.ToArray()).ToArray(),
                ClassLabel = example.Label,
                ExampleIndex = i,
            });
        }

        return encoded;
    }

    public override void CreateModel(AlbertConfig baseConfig, string? pretrained)
    {
        AlbertConfig config = ConfigLabels.With(baseConfig, ["LABEL_0", "LABEL_1"], false, null, [AlbertHeadRegistry.Of(AlbertHeads.MultipleChoice).HuggingFaceName]);
        _model = Build<AlbertForMultipleChoice, MultipleChoiceOutput>(c => new AlbertForMultipleChoice(c), config, pretrained);
    }

    public override Tensor Loss(TrainingBatch batch)
    {
        using MultipleChoiceOutput output = _model!.forward(batch.Inputs);
        return output.Loss!.alias().DetachFromDisposeScope();
    }

    protected override void ClearPredictions() => _predictions.Clear();

    protected override void Collect(TrainingBatch batch)
    {
        using MultipleChoiceOutput output = _model!.forward(batch.Inputs);
        float[] flat = Floats(output.Logits);
        int width = (int)output.Logits.shape[1];
        for (int b = 0; b < batch.Examples.Count; b++)
        {
            _predictions.Add(SequenceTaskAdapter.ArgMax(flat[(b * width)..((b + 1) * width)]));
        }
    }

    protected override EvaluationResult EndEvaluation()
    {
        IReadOnlyList<TrainingExample> examples = EvaluationExamples;
        var references = examples.Select(e => ((MultipleChoiceExample)e).Label).ToList();
        return new EvaluationResult(new Dictionary<string, double> { ["accuracy"] = Metrics.Accuracy(_predictions, references) }, "accuracy");
    }

    public override void Save(string directory) => _model!.Save(directory);

    private static MultipleChoiceExample Cast(TrainingExample example, int index) => example as MultipleChoiceExample
        ?? throw new TrainingDataException(Where(example, index), $"expected a multiple-choice example, found {example.GetType().Name}.");
}
