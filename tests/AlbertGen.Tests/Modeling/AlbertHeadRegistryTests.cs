using AlbertGen.Modeling;

namespace AlbertGen.Tests.Modeling;

/// <summary>The head table is declared once; the runtime's bindings and the modules must match it.</summary>
public sealed class AlbertHeadRegistryTests
{
    [Fact]
    public void Every_head_flag_has_one_entry_with_unique_names()
    {
        AlbertHeads[] singles = Enum.GetValues<AlbertHeads>();
        Assert.Equal(singles.Order(), AlbertHeadRegistry.All.Select(h => h.Head).Order());
        Assert.Equal(AlbertHeadRegistry.All.Count, AlbertHeadRegistry.All.Select(h => h.HuggingFaceName).Distinct().Count());
        Assert.Equal(AlbertHeadRegistry.All.Count, AlbertHeadRegistry.All.Select(h => h.TypeName).Distinct().Count());
        Assert.Equal(AlbertHeadRegistry.All.Count, AlbertHeadRegistry.Tasks.Distinct().Count());
        Assert.All(AlbertHeadRegistry.All, h => Assert.Same(h, AlbertHeadRegistry.FromTask(h.Task)));
        Assert.All(AlbertHeadRegistry.All, h => Assert.Same(h, AlbertHeadRegistry.FromHuggingFaceName(h.HuggingFaceName)));
    }

    [Fact]
    public void Each_entry_is_bound_to_the_module_of_its_name_which_reports_that_name()
    {
        Assert.Equal(AlbertHeadRegistry.All, AlbertHeadModels.All.Select(b => b.Info));
        AlbertConfig config = TinyModels.Config();
        foreach (AlbertHeadModels.Binding binding in AlbertHeadModels.All)
        {
            Assert.Equal(binding.Info.HuggingFaceName, binding.ModelType.Name);
            Assert.Equal("AlbertGen.Modeling", binding.ModelType.Namespace);
            using var model = (TorchSharp.torch.nn.Module)Activator.CreateInstance(binding.ModelType, config)!;
            string reported = (string)binding.ModelType.GetProperty("HuggingFaceClassName")!.GetValue(model)!;
            Assert.Equal(binding.Info.HuggingFaceName, reported);
            Assert.All(binding.Info.CheckpointRoots, root => Assert.Contains(model.named_parameters(), p => p.name.StartsWith(root, StringComparison.Ordinal)));
        }
    }

    [Fact]
    public void Architectures_name_the_heads_their_checkpoints_hold()
    {
        foreach (AlbertHeadInfo head in AlbertHeadRegistry.All)
        {
            Assert.Equal(head.Provides, AlbertConfigReader.HeadsFromArchitectures([head.HuggingFaceName]));
        }

        Assert.Equal(AlbertHeads.PreTraining | AlbertHeads.MaskedLM, AlbertConfigReader.HeadsFromArchitectures(["AlbertForPreTraining", "BertModel"]));
    }

    [Theory]
    [InlineData("predictions.dense.weight", true)]
    [InlineData("sop_classifier.classifier.bias", true)]
    [InlineData("classifier.weight", true)]
    [InlineData("qa_outputs.bias", true)]
    [InlineData("albert.encoder.embedding_hidden_mapping_in.weight", false)]
    [InlineData("embeddings.word_embeddings.weight", false)]
    public void Checkpoint_keys_of_head_modules_are_told_from_encoder_keys(string key, bool isHead)
    {
        Assert.Equal(isHead, AlbertHeadRegistry.IsHeadKey(key));
    }
}
