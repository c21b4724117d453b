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
        using var dir = new TempDirectory("training");
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

    [Fact]
    public async Task Tagging_evaluation_scores_the_entities_the_tag_pipeline_prints()
    {
        using var dir = new TempDirectory("training");
        string[] names = ["romeo", "juliet", "tybalt", "paris"];
        string[] fillers = ["good night", "the sweet rose", "a plague on both", "what light breaks"];
        var examples = new List<TrainingExample>();
        for (int i = 0; i < 12; i++)
        {
            var words = new List<string>(fillers[i % 4].Split(' '));
            var tags = words.Select(_ => "O").ToList();
            words.Insert(i % 3, names[i % 4]);
            tags.Insert(i % 3, "B-PER");
            if (i % 2 == 0)
            {
                words.Add("montague");
                tags.Add("I-PER"); // two-word names sometimes
                tags[^2] = tags[^2] == "O" ? "B-PER" : tags[^2];
            }

            examples.Add(new TaggingExample(words, tags));
        }

        string output = Path.Combine(dir.Path, "tag");
        FineTuneResult result = await FineTuner.RunAsync(new FineTuneOptions
        {
            Task = FineTuneTask.TokenClassification,
            TrainExamples = examples,
            EvalExamples = examples,
            Config = TrainingFixtures.TinyConfig(),
            Tokenizer = TrainingFixtures.Tokenizer,
            OutputDirectory = output,
            Epochs = 2,
            BatchSize = 4,
            LearningRate = 3e-3,
        });

        // What `albertgen tag --model output --aggregation first` prints, compared with the reference entities as char spans.
        using TokenClassificationPipeline pipeline = TokenClassificationPipeline.FromPretrained(output);
        int found = 0, expected = 0, right = 0;
        foreach (TaggingExample example in examples.Cast<TaggingExample>())
        {
            string text = string.Join(' ', example.Words);
            var predicted = pipeline.Predict(text, AggregationStrategy.First).Select(g => (g.Entity, g.Start, g.End)).ToHashSet();
            var reference = ReferenceEntities(example).ToHashSet();
            found += predicted.Count;
            expected += reference.Count;
            right += predicted.Intersect(reference).Count();
        }

        double precision = found == 0 ? 0 : (double)right / found, recall = (double)right / expected;
        double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        Assert.True(found > 0, "the test needs predicted entities to tell decoders apart");
        Assert.Equal(f1, result.BestEvaluation!.Metrics["f1"], 12);
        Assert.Equal(precision, result.BestEvaluation.Metrics["precision"], 12);
    }

    /// <summary>B-X I-X… runs of a BIO tagging as (type, start char, end char) in the words joined by spaces.</summary>
    private static IEnumerable<(string Type, int Start, int End)> ReferenceEntities(TaggingExample example)
    {
        int position = 0;
        (string Type, int Start, int End)? open = null;
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

            if (open is not null)
            {
                yield return open.Value;
            }

            open = tag == "O" ? null : (tag[2..], start, end);
        }

        if (open is not null)
        {
            yield return open.Value;
        }
    }
}
