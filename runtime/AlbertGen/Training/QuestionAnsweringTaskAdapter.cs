using AlbertGen.Modeling;
using AlbertGen.Tasks;
using AlbertGen.Tokenization;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// Extractive question answering on SQuAD-style <see cref="QuestionAnsweringExample"/>s. A context longer than fits is cut
/// into overlapping windows (<see cref="FineTuneOptions.DocStride"/> tokens of overlap), each
/// <c>[CLS] question [SEP] context-window [SEP]</c>. A window that does not contain the whole answer is trained to point
/// at <c>[CLS]</c> (position 0), as HuggingFace's <c>run_qa.py</c> does. Evaluation answers each example with
/// <see cref="QuestionAnsweringPipeline"/> exactly as <c>albertgen answer</c> does (its windows, softmax span scores and
/// word alignment; <see cref="FineTuneOptions.MaxAnswerLength"/> and <see cref="FineTuneOptions.MaxQuestionLength"/> as
/// <c>--max-answer-len</c> and <c>--max-question-len</c>) and scores the first answer with SQuAD's exact match and F1.
/// </summary>
internal sealed class QuestionAnsweringTaskAdapter : TaskAdapter
{
    private AlbertForQuestionAnswering? _model;

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
        AlbertConfig config = ConfigLabels.With(baseConfig, ["LABEL_0", "LABEL_1"], false, null, [AlbertHeadRegistry.Of(AlbertHeads.QuestionAnswering).HuggingFaceName]);
        _model = Build<AlbertForQuestionAnswering, QuestionAnsweringOutput>(c => new AlbertForQuestionAnswering(c), config, pretrained);
    }

    public override Tensor Loss(TrainingBatch batch)
    {
        using QuestionAnsweringOutput output = _model!.forward(batch.Inputs);
        return output.Loss!.alias().DetachFromDisposeScope();
    }

    public override EvaluationResult Evaluate(IReadOnlyList<TrainingExample> examples, List<EncodedExample> rows, int batchSize, int padId)
    {
        // The decoder of `albertgen answer` (QuestionAnsweringPipeline: its windows, softmax span scores, word alignment),
        // so the score printed here is the score of the model users run.
        using var pipeline = new QuestionAnsweringPipeline(_model!, Tokenizer, new PipelineOptions { BatchSize = batchSize });
        QuestionAnsweringOptions decoding = EvaluationDecoding(Options);
        double em = 0, f1 = 0;
        foreach (QuestionAnsweringExample example in examples.Cast<QuestionAnsweringExample>())
        {
            string predicted = pipeline.Answer(example.Question, example.Context, decoding).Answers is [var best, ..] ? best.Answer : "";
            var answers = example.Answers.Select(a => a.Text).ToList();
            em += Metrics.ExactMatch(predicted, answers);
            f1 += Metrics.AnswerF1(predicted, answers);
        }

        int n = Math.Max(1, examples.Count);
        return new EvaluationResult(new Dictionary<string, double> { ["exact_match"] = em / n, ["f1"] = f1 / n }, "f1");
    }

    /// <summary>The pipeline settings evaluation decodes with: <c>albertgen answer</c>'s, with the run's answer and question lengths.</summary>
    internal static QuestionAnsweringOptions EvaluationDecoding(FineTuneOptions options) => new()
    {
        MaxAnswerLength = options.MaxAnswerLength,
        MaxQuestionLength = options.MaxQuestionLength,
    };

    public override void Save(string directory) => _model!.Save(directory);

    private static QuestionAnsweringExample Cast(TrainingExample example, int index) => example as QuestionAnsweringExample
        ?? throw new TrainingDataException(Where(example, index), $"expected a question-answering example, found {example.GetType().Name}.");
}
