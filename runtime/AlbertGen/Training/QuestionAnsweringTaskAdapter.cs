using AlbertGen.Modeling;
using AlbertGen.Tokenization;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// Extractive question answering on SQuAD-style <see cref="QuestionAnsweringExample"/>s. A context longer than fits is cut
/// into overlapping windows (<see cref="FineTuneOptions.DocStride"/> tokens of overlap), each
/// <c>[CLS] question [SEP] context-window [SEP]</c>. A window that does not contain the whole answer is trained to point
/// at <c>[CLS]</c> (position 0), as HuggingFace's <c>run_qa.py</c> does. Evaluation takes, per example, the best-scoring
/// span (start logit + end logit, start ≤ end, at most <see cref="FineTuneOptions.MaxAnswerLength"/> tokens, inside the
/// context) over all its windows, and scores it with SQuAD's exact match and F1.
/// </summary>
internal sealed class QuestionAnsweringTaskAdapter : TaskAdapter
{
    private const int TopK = 20;
    private AlbertForQuestionAnswering? _model;
    private readonly Dictionary<int, (double Score, string Text)> _best = [];

    public QuestionAnsweringTaskAdapter(AlbertTokenizer tokenizer, FineTuneOptions options, FineTuneSettings settings) : base(tokenizer, options, settings)
    {
    }

    protected override nn.Module? ModelOrNull => _model;

    public override void PrepareLabels(IReadOnlyList<TrainingExample> train)
    {
    }

    public override List<EncodedExample> Encode(IReadOnlyList<TrainingExample> examples)
    {
        var encoded = new List<EncodedExample>();
        for (int i = 0; i < examples.Count; i++)
        {
            QuestionAnsweringExample example = Cast(examples[i], i);
            if (example.Answers.Count == 0)
            {
                throw new TrainingDataException(Where(example, i), "no answers; give answers.text and answers.answer_start.");
            }

            int[] question = Tokenizer.EncodeToIds(example.Question, addSpecialTokens: false);
            if (question.Length > Options.MaxQuestionLength)
            {
                question = question[..Options.MaxQuestionLength];
            }

            AlbertEncoding context = Tokenizer.Encode(example.Context, new AlbertEncodeOptions { AddSpecialTokens = false });
            int[] contextIds = context.InputIds.ToArray();
            (int Start, int End)[] offsets = context.Offsets.ToArray();
            int available = Settings.MaxSequenceLength - question.Length - 3;
            if (available < 1)
            {
                throw new TrainingDataException(Where(example, i), $"the question takes {question.Length} tokens; max_seq_length {Settings.MaxSequenceLength} leaves no room for the context.");
            }

            (string answerText, int answerStart) = example.Answers[0];
            int answerEnd = answerStart + answerText.Length;
            int firstToken = Array.FindIndex(offsets, o => o.End > answerStart);
            int lastToken = Array.FindLastIndex(offsets, o => o.Start < answerEnd);
            int step = Math.Max(1, available - Options.DocStride);
            for (int windowStart = 0; ; windowStart += step)
            {
                int length = Math.Min(available, contextIds.Length - windowStart);
                int prefix = question.Length + 2;
                var ids = new int[prefix + length + 1];
                var types = new int[ids.Length];
                var tokenOffsets = new (int, int)[ids.Length];
                Array.Fill(tokenOffsets, (-1, -1));
                ids[0] = Tokenizer.ClsTokenId;
                question.CopyTo(ids, 1);
                ids[prefix - 1] = Tokenizer.SepTokenId;
                Array.Copy(contextIds, windowStart, ids, prefix, length);
                Array.Copy(offsets, windowStart, tokenOffsets, prefix, length);
                ids[^1] = Tokenizer.SepTokenId;
                Array.Fill(types, 1, prefix, length + 1);
                long start = 0, end = 0;
                if (firstToken >= windowStart && lastToken >= firstToken && lastToken < windowStart + length)
                {
                    start = prefix + firstToken - windowStart;
                    end = prefix + lastToken - windowStart;
                }

                encoded.Add(new EncodedExample
                {
                    InputIds = [ids],
                    TokenTypeIds = [types],
                    StartPosition = start,
                    EndPosition = end,
                    ExampleIndex = i,
                    ContextOffsets = tokenOffsets,
                });
                if (windowStart + length >= contextIds.Length)
                {
                    break;
                }
            }
        }

        return encoded;
    }

    public override void CreateModel(AlbertConfig baseConfig, string? pretrained)
    {
        AlbertConfig config = ConfigLabels.With(baseConfig, ["LABEL_0", "LABEL_1"], false, null, ["AlbertForQuestionAnswering"]);
        _model = Build<AlbertForQuestionAnswering, QuestionAnsweringOutput>(c => new AlbertForQuestionAnswering(c), config, pretrained);
    }

    public override Tensor Loss(TrainingBatch batch)
    {
        using QuestionAnsweringOutput output = _model!.forward(batch.Inputs);
        return output.Loss!.alias().DetachFromDisposeScope();
    }

    protected override void ClearPredictions() => _best.Clear();

    public override void Collect(TrainingBatch batch)
    {
        using QuestionAnsweringOutput output = _model!.forward(batch.Inputs);
        float[] starts = Floats(output.StartLogits);
        float[] ends = Floats(output.EndLogits);
        int length = (int)output.StartLogits.shape[1];
        for (int b = 0; b < batch.Examples.Count; b++)
        {
            EncodedExample row = batch.Examples[b];
            (int Start, int End)[] offsets = row.ContextOffsets!;
            var s = new ArraySegment<float>(starts, b * length, offsets.Length);
            var e = new ArraySegment<float>(ends, b * length, offsets.Length);
            foreach (int i in TopIndices(s, offsets))
            {
                foreach (int j in TopIndices(e, offsets))
                {
                    if (j < i || j - i + 1 > Options.MaxAnswerLength)
                    {
                        continue;
                    }

                    double score = s[i] + e[j];
                    if (!_best.TryGetValue(row.ExampleIndex, out var best) || score > best.Score)
                    {
                        _best[row.ExampleIndex] = (score, SpanText(row.ExampleIndex, offsets[i].Start, offsets[j].End));
                    }
                }
            }
        }
    }

    public override EvaluationResult EndEvaluation()
    {
        IReadOnlyList<TrainingExample> examples = EvaluationExamples;
        double em = 0, f1 = 0;
        for (int i = 0; i < examples.Count; i++)
        {
            var example = (QuestionAnsweringExample)examples[i];
            string predicted = _best.TryGetValue(i, out var best) ? best.Text : "";
            var answers = example.Answers.Select(a => a.Text).ToList();
            em += Metrics.ExactMatch(predicted, answers);
            f1 += Metrics.AnswerF1(predicted, answers);
        }

        int n = Math.Max(1, examples.Count);
        return new EvaluationResult(new Dictionary<string, double> { ["exact_match"] = em / n, ["f1"] = f1 / n }, "f1");
    }

    public override void Save(string directory) => _model!.Save(directory);

    private string SpanText(int exampleIndex, int start, int end)
    {
        string context = ((QuestionAnsweringExample)EvaluationExamples[exampleIndex]).Context;
        return context[start..end].Trim();
    }

    private static IEnumerable<int> TopIndices(ArraySegment<float> logits, (int Start, int End)[] offsets) =>
        Enumerable.Range(0, logits.Count)
            .Where(i => offsets[i].Start >= 0)
            .OrderByDescending(i => logits[i])
            .Take(TopK);

    private static QuestionAnsweringExample Cast(TrainingExample example, int index) => example as QuestionAnsweringExample
        ?? throw new TrainingDataException(Where(example, index), $"expected a question-answering example, found {example.GetType().Name}.");
}
