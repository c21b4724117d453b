using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Typed;

/// <summary>A generated typed model running on the real runtime: shapes equal the compile-time constants.</summary>
public sealed class TypedModelTests
{
    private const int Batch = 2;
    private const int Sequence = 7;

    private static AlbertInputs RandomInputs() => new()
    {
        InputIds = randint(0, TinyTyped.VocabSize, [Batch, Sequence], dtype: int64),
    };

    [Fact]
    public void Constants_are_the_config_values()
    {
        AlbertConfig read = AlbertConfigReader.ReadFile(SharedFolder.Model("tiny"));

        Assert.Equal(TinyTyped.VocabSize, read.VocabSize);
        Assert.Equal(TinyTyped.HiddenSize, read.HiddenSize);
        Assert.Equal(TinyTyped.AttentionHeadSize, read.HiddenSize / read.NumAttentionHeads);
        Assert.Equal(TinyTyped.HiddenAct, read.HiddenAct);
        Assert.Empty(TypedModels.Differences(read, TinyTyped.Config, compareLabels: true));
    }

    [Fact]
    public void Masked_lm_logits_have_the_constant_shape()
    {
        using var scope = NewDisposeScope();
        using var model = new TinyTyped.ForMaskedLM();
        model.eval();

        using MaskedLMOutput output = model.forward(RandomInputs());

        Assert.Equal([Batch, Sequence, TinyTyped.VocabSize], output.Logits.shape);
    }

    [Fact]
    public void Encoder_and_pretraining_outputs_have_the_constant_shapes()
    {
        using var scope = NewDisposeScope();
        using var encoder = new TinyTyped.Encoder();
        using var pretraining = new TinyTyped.ForPreTraining();

        using AlbertModelOutput encoded = encoder.forward(RandomInputs());
        using AlbertForPreTrainingOutput pretrained = pretraining.forward(RandomInputs());

        Assert.Equal([Batch, Sequence, TinyTyped.HiddenSize], encoded.LastHiddenState.shape);
        Assert.Equal([Batch, TinyTyped.HiddenSize], encoded.PoolerOutput!.shape);
        Assert.Equal([Batch, Sequence, TinyTyped.VocabSize], pretrained.PredictionLogits.shape);
        Assert.Equal([Batch, 2], pretrained.SopLogits.shape);
    }

    [Fact]
    public void From_pretrained_loads_the_fixture_checkpoint_in_eval_mode()
    {
        using var model = TinyTyped.ForPreTraining.FromPretrained(SharedFolder.Model("tiny"));

        Assert.IsType<TinyTyped.ForPreTraining>(model);
        Assert.False(model.training);
    }

    [Fact]
    public void From_pretrained_rejects_a_checkpoint_whose_config_has_other_dimensions()
    {
        var error = Assert.Throws<InvalidDataException>(() => TinyTyped.ForMaskedLM.FromPretrained(SharedFolder.Model("tiny-groups")));

        Assert.Contains("num_hidden_layers is 4, but the model was compiled for 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("num_hidden_groups is 2, but the model was compiled for 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("hidden_act is gelu, but the model was compiled for gelu_new", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(TinyTyped), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_counts_are_compared_only_for_classification_heads()
    {
        var compiled = new AlbertConfig { NumLabels = 2 };
        var found = new AlbertConfig { NumLabels = 5 };

        Assert.Empty(TypedModels.Differences(compiled, found, compareLabels: false));
        Assert.Equal(["num_labels is 5, but the model was compiled for 2"], TypedModels.Differences(compiled, found, compareLabels: true));
    }

    [Fact]
    public void The_typed_tokenizer_defaults_to_the_models_position_limit()
    {
        var tokenizer = TinyTyped.LoadTokenizer(SharedFolder.Tokenizer);

        Assert.Equal(TinyTyped.MaxPositionEmbeddings, tokenizer.MaxLength);
        Assert.Equal(TinyTyped.VocabSize, tokenizer.VocabularySize);
        var encoding = tokenizer.Encode(string.Join(' ', Enumerable.Repeat("word", 500)), new AlbertGen.Tokenization.AlbertEncodeOptions { Truncation = AlbertGen.Tokenization.TruncationStrategy.LongestFirst });
        Assert.Equal(TinyTyped.MaxPositionEmbeddings, encoding.Length);
    }
}
