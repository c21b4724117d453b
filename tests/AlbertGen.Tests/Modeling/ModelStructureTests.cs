using AlbertGen.Checkpoints;
using AlbertGen.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>Parameter names, sharing and initialisation follow HuggingFace.</summary>
public sealed class ModelStructureTests
{
    private static HashSet<string> CheckpointKeys(string file)
    {
        using SafetensorsFile f = SafetensorsFile.Open(file);
        return f.Tensors.Keys.ToHashSet();
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("tiny-groups")]
    public void PreTraining_parameter_names_are_exactly_the_checkpoint_keys(string config)
    {
        using AlbertForPreTraining model = AlbertForPreTraining.FromPretrained(SharedFolder.Model(config));
        Assert.Equal(
            CheckpointKeys(Path.Combine(SharedFolder.Model(config), "model.safetensors")).Order(),
            model.named_parameters().Select(p => p.name).Order());
    }

    [Theory]
    [InlineData("seqcls-single3")]
    [InlineData("tokcls5")]
    [InlineData("qa")]
    [InlineData("multiplechoice")]
    public void Head_parameter_names_are_exactly_the_head_checkpoint_keys(string head)
    {
        string dir = Path.Combine(SharedFolder.Model("tiny"), "heads", head);
        AlbertConfig config = AlbertConfigReader.ReadFile(dir);
        using nn.Module model = head switch
        {
            "seqcls-single3" => new AlbertForSequenceClassification(config),
            "tokcls5" => new AlbertForTokenClassification(config),
            "qa" => new AlbertForQuestionAnswering(config),
            _ => new AlbertForMultipleChoice(config),
        };
        Assert.Equal(CheckpointKeys(Path.Combine(dir, "model.safetensors")).Order(), model.named_parameters().Select(p => p.name).Order());
    }

    [Fact]
    public void MaskedLM_decoder_is_the_word_embedding_tensor_itself()
    {
        using var model = new AlbertForMaskedLM(TinyModels.Config());
        model.eval();
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.DoesNotContain("predictions.decoder.weight", names);
        Assert.Contains("predictions.bias", names);
        Assert.DoesNotContain(names, n => n.StartsWith("albert.pooler", StringComparison.Ordinal));

        using Tensor ids = tensor(new long[] { 2, 11, 3 }).unsqueeze(0);
        using MaskedLMOutput before = model.forward(new AlbertInputs { InputIds = ids });
        Parameter embeddings = model.get_parameter("albert.embeddings.word_embeddings.weight")!;
        using (no_grad())
        {
            // Row 17 is not an input id: only the decoder sees the change. (A constant shift would be invisible: the MLM
            // LayerNorm output sums to zero over E with its initial weight 1 and bias 0.)
            using Tensor shift = arange(1.0, model.Config.EmbeddingSize + 1.0);
            embeddings[17].add_(shift);
        }

        using MaskedLMOutput after = model.forward(new AlbertInputs { InputIds = ids });
        using Tensor delta = after.Logits.sub(before.Logits).abs();
        Assert.True(delta[.., .., 17].min().item<float>() > 0);
        Assert.Equal(0f, delta[.., .., 16].max().item<float>());
    }

    [Fact]
    public void Shared_groups_hold_their_parameters_once()
    {
        using var model = new AlbertModel(TinyModels.Config(layers: 6, groups: 2, inner: 3));
        var layerParams = model.named_parameters().Select(p => p.name).Where(n => n.Contains("albert_layers", StringComparison.Ordinal)).ToList();
        Assert.Equal(2 * 3 * 16, layerParams.Count); // groups × inner layers × 16 tensors, independent of the 6 layer steps
        Assert.Contains("encoder.albert_layer_groups.1.albert_layers.2.full_layer_layer_norm.bias", layerParams);
    }

    [Theory]
    [InlineData(12, 1, new[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(4, 2, new[] { 0, 0, 1, 1 })]
    [InlineData(6, 3, new[] { 0, 0, 1, 1, 2, 2 })]
    [InlineData(3, 3, new[] { 0, 1, 2 })]
    public void Layer_step_i_uses_group_floor_i_over_layers_per_group(int layers, int groups, int[] expected)
    {
        Assert.Equal(expected, Enumerable.Range(0, layers).Select(i => AlbertTransformer.GroupOfStep(i, layers, groups)));
    }

    [Fact]
    public void Attention_and_hidden_state_counts_follow_layer_steps_and_inner_layers()
    {
        using var model = new AlbertModel(TinyModels.Config(layers: 4, groups: 2, inner: 2));
        model.eval();
        using Tensor ids = tensor(new long[] { 2, 5, 3 }).unsqueeze(0);
        using AlbertModelOutput output = model.forward(new AlbertInputs { InputIds = ids, OutputHiddenStates = true, OutputAttentions = true });
        Assert.Equal(5, output.HiddenStates!.Count);
        Assert.Equal(8, output.Attentions!.Count);
        Assert.Equal([1L, 3, 3, 3], output.Attentions[0].shape);
        Assert.Same(output.LastHiddenState, output.HiddenStates[^1]);
    }

    [Fact]
    public void New_models_use_HuggingFace_initialisation()
    {
        AlbertConfig config = TinyModels.Config();
        using var model = new AlbertForPreTraining(config);
        var p = model.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter);
        Assert.Equal(0f, p["albert.embeddings.word_embeddings.weight"][config.PadTokenId].abs().max().item<float>());
        Assert.Equal(1f, p["albert.embeddings.LayerNorm.weight"].min().item<float>());
        Assert.Equal(0f, p["albert.encoder.embedding_hidden_mapping_in.bias"].abs().max().item<float>());
        Assert.Equal(0f, p["predictions.bias"].abs().max().item<float>());
        double std = p["albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight"].std().item<float>();
        Assert.InRange(std, 0.015, 0.025);
    }

    [Fact]
    public void Dropout_is_active_in_training_mode_only()
    {
        using var model = new AlbertForSequenceClassification(TinyModels.Config());
        using Tensor ids = tensor(new long[] { 2, 5, 8, 13, 21, 3 }).unsqueeze(0);
        var inputs = new AlbertInputs { InputIds = ids };

        model.eval();
        using (SequenceClassifierOutput a = model.forward(inputs))
        using (SequenceClassifierOutput b = model.forward(inputs))
        {
            TensorAssert.Close(a.Logits, b.Logits, "eval is deterministic", atol: 0, rtol: 0);
        }

        model.train();
        manual_seed(1);
        using SequenceClassifierOutput c = model.forward(inputs);
        using SequenceClassifierOutput d = model.forward(inputs);
        Assert.False(c.Logits.allclose(d.Logits, rtol: 0, atol: 0));
    }

    [Fact]
    public void Inputs_embeds_give_the_same_result_as_the_ids_they_embed()
    {
        using var model = new AlbertModel(TinyModels.Config());
        model.eval();
        using Tensor ids = tensor(new long[] { 2, 5, 8, 3 }).unsqueeze(0);
        using Tensor embeds = model.get_parameter("embeddings.word_embeddings.weight")!.index_select(0, ids[0]).unsqueeze(0).detach();
        using AlbertModelOutput a = model.forward(new AlbertInputs { InputIds = ids });
        using AlbertModelOutput b = model.forward(new AlbertInputs { InputsEmbeds = embeds });
        TensorAssert.Close(a.LastHiddenState, b.LastHiddenState, "embeds", atol: 1e-6, rtol: 0);
    }

    [Fact]
    public void Gradients_reach_shared_weights_in_training()
    {
        using var model = new AlbertForMaskedLM(TinyModels.Config(layers: 3));
        model.train();
        using Tensor ids = tensor(new long[] { 2, 5, 8, 3 }).unsqueeze(0);
        using Tensor labels = tensor(new long[] { -100, 7, -100, -100 }).unsqueeze(0);
        using MaskedLMOutput output = model.forward(new AlbertInputs { InputIds = ids, Labels = labels });
        output.Loss!.backward();
        Parameter query = model.get_parameter("albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight")!;
        Assert.NotNull(query.grad);
        Assert.True(query.grad!.abs().sum().item<float>() > 0);
    }
}
