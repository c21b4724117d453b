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
            {
                using var expected = new AlbertForPreTraining(albertConfig);
                using var actual = new AlbertForPreTraining(albertConfig);
                LoadBoth(expected, actual, fixture, folder, (m, p) => m.LoadWeights(p));
                using AlbertForPreTrainingOutput output = actual.forward(Inputs(g));
                g.Check("AlbertForPreTraining.prediction_logits", output.PredictionLogits);
                g.Check("AlbertForPreTraining.sop_logits", output.SopLogits);
                break;
            }

            case "tokcls5":
            {
                using var expected = new AlbertForTokenClassification(albertConfig);
                using var actual = new AlbertForTokenClassification(albertConfig);
                LoadBoth(expected, actual, fixture, folder, (m, p) => m.LoadWeights(p));
                using TokenClassifierOutput output = actual.forward(Inputs(g));
                g.Check("AlbertForTokenClassification.logits", output.Logits);
                break;
            }

            case "qa":
            {
                using var expected = new AlbertForQuestionAnswering(albertConfig);
                using var actual = new AlbertForQuestionAnswering(albertConfig);
                LoadBoth(expected, actual, fixture, folder, (m, p) => m.LoadWeights(p));
                using QuestionAnsweringOutput output = actual.forward(Inputs(g));
                g.Check("AlbertForQuestionAnswering.start_logits", output.StartLogits);
                g.Check("AlbertForQuestionAnswering.end_logits", output.EndLogits);
                break;
            }

            case "multiplechoice":
            {
                using var expected = new AlbertForMultipleChoice(albertConfig);
                using var actual = new AlbertForMultipleChoice(albertConfig);
                LoadBoth(expected, actual, fixture, folder, (m, p) => m.LoadWeights(p));
                var inputs = new AlbertInputs { InputIds = g["mc.input_ids"], AttentionMask = g.Get("mc.attention_mask"), TokenTypeIds = g.Get("mc.token_type_ids") };
                using MultipleChoiceOutput output = actual.forward(inputs);
                g.Check("AlbertForMultipleChoice.logits", output.Logits);
                break;
            }

            default:
            {
                using var expected = new AlbertForSequenceClassification(albertConfig);
                using var actual = new AlbertForSequenceClassification(albertConfig);
                LoadBoth(expected, actual, fixture, folder, (m, p) => m.LoadWeights(p));
                using SequenceClassifierOutput output = actual.forward(Inputs(g));
                g.Check($"AlbertForSequenceClassification.{checkpoint["seqcls-".Length..]}.logits", output.Logits);
                break;
            }
        }
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

    private static void LoadBoth<T>(T expected, T actual, string fixture, string folder, Func<T, string, LoadReport> load)
        where T : nn.Module
    {
        load(expected, fixture);
        LoadReport report = load(actual, folder);
        Assert.Empty(report.MissingKeys);
        expected.eval();
        actual.eval();
        var want = expected.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach ((string name, TorchSharp.Modules.Parameter parameter) in actual.named_parameters())
        {
            Assert.True(want[name].eq(parameter).all().ToBoolean(), $"{folder}: '{name}' differs from the safetensors fixture.");
        }
    }
}
