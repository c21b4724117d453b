using AlbertGen.Checkpoints;
using AlbertGen.Configuration;
using AlbertGen.Modeling;
using AlbertGen.Tests.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Checkpoints;

/// <summary>
/// Every golden fixture checkpoint, stored as zip .bin, legacy .bin, sharded .bin, Flax msgpack and TensorFlow h5, loads
/// to exactly the safetensors weights and gives HuggingFace's golden outputs.
/// </summary>
public sealed class CheckpointFormatParityTests
{
    public static TheoryData<string, string, string> AllCheckpointsInAllFormats()
    {
        var data = new TheoryData<string, string, string>();
        foreach (string config in new[] { "tiny", "tiny-groups" })
        {
            foreach (string checkpoint in CheckpointFormatFixtures.Checkpoints)
            {
                foreach (string format in CheckpointFormatFixtures.Formats.Keys)
                {
                    data.Add(config, checkpoint, format);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllCheckpointsInAllFormats))]
    public void Each_format_loads_the_safetensors_weights_exactly_and_gives_the_golden_outputs(string config, string checkpoint, string format)
    {
        string fixture = CheckpointFormatFixtures.FixtureFolder(config, checkpoint);
        string folder = CheckpointFormatFixtures.Folder(config, checkpoint, format);
        AlbertConfig albertConfig = AlbertConfigReader.ReadFile(fixture);
        using (CheckpointSource source = CheckpointSource.Open(folder))
        {
            Assert.All(source.Files, f => Assert.Equal(CheckpointFormatFixtures.Formats[format], f.Format));
        }

        using Golden g = Golden.Load(config, "batch_padded");
        switch (checkpoint)
        {
            case "pretraining":
                Check(albertConfig, c => new AlbertForPreTraining(c), fixture, folder, Inputs(g), (AlbertForPreTrainingOutput o) =>
                {
                    g.Check("AlbertForPreTraining.prediction_logits", o.PredictionLogits);
                    g.Check("AlbertForPreTraining.sop_logits", o.SopLogits);
                });
                break;
            case "tokcls5":
                Check(albertConfig, c => new AlbertForTokenClassification(c), fixture, folder, Inputs(g),
                    (TokenClassifierOutput o) => g.Check("AlbertForTokenClassification.logits", o.Logits));
                break;
            case "qa":
                Check(albertConfig, c => new AlbertForQuestionAnswering(c), fixture, folder, Inputs(g), (QuestionAnsweringOutput o) =>
                {
                    g.Check("AlbertForQuestionAnswering.start_logits", o.StartLogits);
                    g.Check("AlbertForQuestionAnswering.end_logits", o.EndLogits);
                });
                break;
            case "multiplechoice":
                var choices = new AlbertInputs { InputIds = g["mc.input_ids"], AttentionMask = g.Get("mc.attention_mask"), TokenTypeIds = g.Get("mc.token_type_ids") };
                Check(albertConfig, c => new AlbertForMultipleChoice(c), fixture, folder, choices,
                    (MultipleChoiceOutput o) => g.Check("AlbertForMultipleChoice.logits", o.Logits));
                break;
            default:
                Check(albertConfig, c => new AlbertForSequenceClassification(c), fixture, folder, Inputs(g),
                    (SequenceClassifierOutput o) => g.Check($"AlbertForSequenceClassification.{checkpoint["seqcls-".Length..]}.logits", o.Logits));
                break;
        }
    }

    /// <summary>Loads the fixture and the other format into two models, asserts equal weights, checks the golden outputs.</summary>
    private static void Check<TModel, TOutput>(
        AlbertConfig config, Func<AlbertConfig, TModel> create, string fixture, string folder, AlbertInputs inputs, Action<TOutput> check)
        where TModel : AlbertPreTrainedModel<TOutput>
        where TOutput : AlbertOutput
    {
        using TModel expected = create(config);
        using TModel actual = create(config);
        expected.LoadWeights(fixture);
        LoadReport report = actual.LoadWeights(folder);
        Assert.Empty(report.MissingKeys);
        var want = expected.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach ((string name, TorchSharp.Modules.Parameter parameter) in actual.named_parameters())
        {
            Assert.True(want[name].eq(parameter).all().ToBoolean(), $"{folder}: '{name}' differs from the safetensors fixture.");
        }

        actual.eval();
        using TOutput output = actual.forward(inputs);
        check(output);
    }

    [Fact]
    public void A_base_model_loads_its_body_from_every_format_of_a_head_checkpoint()
    {
        AlbertConfig config = AlbertConfigReader.ReadFile(SharedFolder.Model("tiny"));
        using Golden g = Golden.Load("tiny", "batch_padded");
        foreach (string format in CheckpointFormatFixtures.Formats.Keys)
        {
            using var model = new AlbertModel(config);
            LoadReport report = model.LoadWeights(CheckpointFormatFixtures.Folder("tiny", "pretraining", format));
            Assert.Empty(report.MissingKeys);
            using AlbertModelOutput output = model.forward(Inputs(g));
            g.Check("AlbertModel.last_hidden_state", output.LastHiddenState);
        }
    }

    private static AlbertInputs Inputs(Golden g) => new()
    {
        InputIds = g["input_ids"],
        AttentionMask = g.Get("attention_mask"),
        TokenTypeIds = g.Get("token_type_ids"),
    };
}
