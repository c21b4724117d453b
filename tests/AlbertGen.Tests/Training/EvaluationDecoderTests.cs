using AlbertGen.Tasks;
using AlbertGen.Training;

namespace AlbertGen.Tests.Training;

/// <summary>Fine-tuning's evaluation decodes like the pipelines, so the score it prints is the score users get from them.</summary>
[Collection(TorchRandomCollection.Name)]
public class EvaluationDecoderTests
{
    [Fact]
    public async Task Question_answering_evaluation_scores_what_the_answer_pipeline_answers()
    {
        using var dir = new TempDir();
        string[] cities = ["old rome by the sea", "fair verona in the north", "the city of padua", "mantua beyond the hills"];
        var examples = new List<TrainingExample>();
        for (int i = 0; i < 8; i++)
        {
            string city = cities[i % cities.Length];
            string context = $"the night is long. the king lives in {city}. the day is short and the {(i % 2 == 0 ? "queen" : "prince")} sleeps.";
            examples.Add(new QuestionAnsweringExample(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "where does the king live?", context, [(city, context.IndexOf(city, StringComparison.Ordinal))]));
        }

        string output = Path.Combine(dir.Path, "qa");
        var options = new FineTuneOptions
        {
            Task = FineTuneTask.QuestionAnswering,
            TrainExamples = examples,
            EvalExamples = examples,
            Config = TrainingFixtures.TinyConfig(),
            Tokenizer = TrainingFixtures.Tokenizer,
            OutputDirectory = output,
            Epochs = 3,
            BatchSize = 4,
            LearningRate = 3e-3,
        };
        FineTuneResult result = await FineTuner.RunAsync(options);

        // What `albertgen answer --model output` answers (its default decoding), scored with the same metric.
        using QuestionAnsweringPipeline pipeline = QuestionAnsweringPipeline.FromPretrained(output);
        double f1 = examples.Cast<QuestionAnsweringExample>().Average(e =>
            Metrics.AnswerF1(pipeline.Answer(e.Question, e.Context).Answers[0].Answer, [.. e.Answers.Select(a => a.Text)]));

        Assert.True(f1 > 0, "the test needs answers that overlap the references to tell decoders apart");
        Assert.Equal(f1, result.BestEvaluation!.Metrics["f1"], 12);
    }
}
