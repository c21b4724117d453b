using System.Reflection;
using AlbertGen.Configuration;

namespace AlbertGen.Tests.Configuration;

/// <summary>
/// The field table (<see cref="AlbertConfigSchema"/>) is the one description of a config: it must cover every
/// property of <see cref="AlbertConfig"/>, and everything built on it (equality, writer, reader) must agree.
/// </summary>
public sealed class AlbertConfigSchemaTests
{
    /// <summary>Properties the labels row reads and writes besides <see cref="AlbertConfig.NumLabels"/>.</summary>
    private static readonly string[] LabelProperties = [nameof(AlbertConfig.Id2Label), nameof(AlbertConfig.HasExplicitLabels)];

    [Fact]
    public void Every_settable_property_of_the_config_is_a_row_and_every_row_a_property()
    {
        string[] settable = typeof(AlbertConfig).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is not null && p.Name != "EqualityContract")
            .Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
        string[] rows = AlbertConfigSchema.Fields.Select(f => f.PropertyName).Where(n => n.Length > 0)
            .Concat(LabelProperties).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(settable, rows);
        Assert.Equal(AlbertConfigSchema.Fields.Count, AlbertConfigSchema.Fields.Select(f => f.JsonName).Distinct().Count());
    }

    [Fact]
    public void A_config_with_every_field_off_its_default_writes_and_reads_back_equal()
    {
        var config = new AlbertConfig
        {
            VocabSize = 321, EmbeddingSize = 24, HiddenSize = 48, NumHiddenLayers = 6, NumHiddenGroups = 3, NumAttentionHeads = 6,
            IntermediateSize = 99, InnerGroupNum = 2, HiddenAct = AlbertActivation.QuickGelu, HiddenDropoutProb = 0.25,
            AttentionProbsDropoutProb = 0.125, MaxPositionEmbeddings = 77, TypeVocabSize = 3, InitializerRange = 0.5,
            LayerNormEps = 1e-7, ClassifierDropoutProb = 0.375, PositionEmbeddingType = PositionEmbeddingType.RelativeKeyQuery,
            PadTokenId = 5, BosTokenId = 6, EosTokenId = 7, NumLabels = 3, Id2Label = ["yes", "no", "maybe"], HasExplicitLabels = true,
            ProblemType = ProblemType.SingleLabelClassification, Architectures = ["AlbertForSequenceClassification"],
        };
        string json = AlbertConfigWriter.ToJson(config);
        AlbertConfig back = AlbertConfigReader.Parse(json, "written");

        Assert.Equal(config, back);
        Assert.Contains("\"hidden_act\": \"quick_gelu\"", json);
        Assert.Contains("\"label2id\"", json);
    }

    [Fact]
    public void Configs_are_values_compared_field_by_field_with_lists_by_content()
    {
        AlbertConfig a = AlbertConfigReader.ReadFile(Path.Combine(SharedFolder.Model("tiny"), "heads", "seqcls-single3"));
        AlbertConfig b = AlbertConfigReader.ReadFile(Path.Combine(SharedFolder.Model("tiny"), "heads", "seqcls-single3"));

        Assert.NotSame(a, b);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, a with { HiddenSize = 64 });
        Assert.NotEqual(a, a with { Id2Label = ["x", "y", "z"] });
        Assert.NotEqual(a, a with { Architectures = ["AlbertForMaskedLM"] });
        Assert.Equal(a, a with { Architectures = new List<string>(a.Architectures), Id2Label = a.Id2Label.ToList() });
        Assert.Equal(new AlbertConfig { NumLabels = 2_000_000_000 }, new AlbertConfig { NumLabels = 2_000_000_000 });
    }

    [Fact]
    public void A_with_copy_changes_only_what_it_names()
    {
        AlbertConfig original = AlbertConfigReader.ReadFile(SharedFolder.Model("tiny-groups"));
        AlbertConfig copy = original with { NumLabels = 4, Id2Label = ["a", "b", "c", "d"], HasExplicitLabels = true };

        Assert.All(AlbertConfigSchema.Fields.Where(f => f.Kind != ConfigValueKind.Labels),
            f => Assert.True(f.ValueEquals(original, copy), f.JsonName));
        Assert.Equal(["a", "b", "c", "d"], copy.Id2Label);
        Assert.Equal(2, original.NumLabels);
    }

    [Fact]
    public void Differences_name_each_shape_field_that_differs_and_labels_only_when_asked()
    {
        AlbertConfig compiled = AlbertConfigReader.ReadFile(SharedFolder.Model("tiny"));
        AlbertConfig found = compiled with { HiddenSize = 64, HiddenAct = AlbertActivation.Relu, NumLabels = 5, HiddenDropoutProb = 0.5 };

        Assert.Equal(
            ["hidden_size is 64, but the model was compiled for 32", "hidden_act is relu, but the model was compiled for gelu_new"],
            TypedModels.Differences(compiled, found, compareLabels: false));
        Assert.Equal("num_labels is 5, but the model was compiled for 2", TypedModels.Differences(compiled, found, compareLabels: true)[^1]);
    }
}
