using TorchSharp;
using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>Head behaviours beyond the goldens: problem-type inference, losses without masks, shapes.</summary>
public sealed class HeadBehaviourTests
{
    [Theory]
    [InlineData(1, ScalarType.Float32, ProblemType.Regression)]
    [InlineData(1, ScalarType.Int64, ProblemType.Regression)]
    [InlineData(3, ScalarType.Int64, ProblemType.SingleLabelClassification)]
    [InlineData(3, ScalarType.Int32, ProblemType.SingleLabelClassification)]
    [InlineData(3, ScalarType.Float32, ProblemType.MultiLabelClassification)]
    public void Problem_type_is_inferred_as_HuggingFace_does_when_the_config_has_none(int numLabels, ScalarType labelType, ProblemType expected)
    {
        using var model = new AlbertForSequenceClassification(TinyModels.Config(numLabels: numLabels));
        using Tensor labels = zeros(2, dtype: labelType);
        Assert.Equal(expected, model.ResolveProblemType(labels));
    }

    [Fact]
    public void Configured_problem_type_wins_over_inference()
    {
        AlbertConfig baseConfig = TinyModels.Config(numLabels: 3);
        var config = new AlbertConfig
        {
            VocabSize = baseConfig.VocabSize, EmbeddingSize = baseConfig.EmbeddingSize, HiddenSize = baseConfig.HiddenSize,
            NumHiddenLayers = 1, NumAttentionHeads = baseConfig.NumAttentionHeads, IntermediateSize = 10,
            MaxPositionEmbeddings = 16, NumLabels = 3, Id2Label = ["a", "b", "c"], ProblemType = ProblemType.MultiLabelClassification,
        };
        using var model = new AlbertForSequenceClassification(config);
        using Tensor labels = zeros(2, dtype: ScalarType.Int64);
        Assert.Equal(ProblemType.MultiLabelClassification, model.ResolveProblemType(labels));
    }

    [Fact]
    public void Token_classification_loss_without_a_mask_counts_every_label_but_minus_100()
    {
        using var model = new AlbertForTokenClassification(TinyModels.Config(numLabels: 3));
        model.eval();
        using Tensor ids = tensor(new long[] { 2, 5, 8, 3 }).unsqueeze(0);
        using Tensor labels = tensor(new long[] { -100, 1, 2, -100 }).unsqueeze(0);
        using TokenClassifierOutput output = model.forward(new AlbertInputs { InputIds = ids, Labels = labels });
        using Tensor manual = nn.functional.cross_entropy(output.Logits[0, TensorIndex.Slice(1, 3)], tensor(new long[] { 1, 2 }));
        TensorAssert.Close(manual, output.Loss!, "loss", atol: 1e-6, rtol: 0);
    }

    [Fact]
    public void Question_answering_ignores_positions_beyond_the_sequence()
    {
        using var model = new AlbertForQuestionAnswering(TinyModels.Config());
        model.eval();
        using Tensor ids = tensor(new long[] { 2, 5, 8, 3, 2, 6, 7, 3 }).view(2, 4);
        using Tensor start = tensor(new long[] { 1, 99 });
        using Tensor end = tensor(new long[] { 2, 2 });
        using QuestionAnsweringOutput output = model.forward(new AlbertInputs { InputIds = ids, StartPositions = start, EndPositions = end });
        using Tensor startLoss = nn.functional.cross_entropy(output.StartLogits[TensorIndex.Slice(0, 1)], tensor(new long[] { 1 }));
        using Tensor endLoss = nn.functional.cross_entropy(output.EndLogits, end);
        using Tensor expected = startLoss.add(endLoss).div(2);
        TensorAssert.Close(expected, output.Loss!, "loss", atol: 1e-6, rtol: 0);
    }

    [Fact]
    public void Question_answering_needs_two_labels()
    {
        var ex = Assert.Throws<ArgumentException>(() => new AlbertForQuestionAnswering(TinyModels.Config(numLabels: 3)));
        Assert.Contains("num_labels = 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Multiple_choice_scores_each_choice()
    {
        using var model = new AlbertForMultipleChoice(TinyModels.Config());
        model.eval();
        using Tensor ids = randint(4, 40, [2, 3, 5]);
        using Tensor labels = tensor(new long[] { 0, 2 });
        using MultipleChoiceOutput output = model.forward(new AlbertInputs { InputIds = ids, Labels = labels });
        Assert.Equal([2L, 3], output.Logits.shape);
        Assert.Equal(0, output.Loss!.Dimensions);
    }

    [Fact]
    public void Pretraining_loss_needs_both_labels()
    {
        using var model = new AlbertForPreTraining(TinyModels.Config());
        model.eval();
        using Tensor ids = tensor(new long[] { 2, 5, 8, 3 }).unsqueeze(0);
        using AlbertForPreTrainingOutput output = model.forward(new AlbertInputs { InputIds = ids, Labels = ids });
        Assert.Null(output.Loss);
        Assert.Equal([1L, 4, 50], output.PredictionLogits.shape);
        Assert.Equal([1L, 2], output.SopLogits.shape);
    }

    [Fact]
    public void Bfloat16_models_compute_in_bfloat16_close_to_float32()
    {
        using Golden g = Golden.Load("tiny", "batch_padded");
        using AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Model("tiny"), new AlbertGen.Checkpoints.LoadOptions { DType = ScalarType.BFloat16 });
        Assert.Equal(ScalarType.BFloat16, model.DType);
        using AlbertModelOutput output = model.forward(new AlbertInputs
        {
            InputIds = g["input_ids"], AttentionMask = g["attention_mask"], TokenTypeIds = g["token_type_ids"],
        });
        Assert.Equal(ScalarType.BFloat16, output.LastHiddenState.dtype);
        TensorAssert.Close(g["AlbertModel.last_hidden_state"], output.LastHiddenState, "bf16", atol: 0.15, rtol: 0.05);
    }

    [Fact]
    public void Float16_conversion_keeps_parameter_names_and_the_tied_decoder()
    {
        using var model = new AlbertForMaskedLM(TinyModels.Config());
        model.to(ScalarType.Float16);
        Assert.Equal(ScalarType.Float16, model.DType);
        Assert.All(model.named_parameters(), p => Assert.Equal(ScalarType.Float16, p.parameter.dtype));
    }
}
