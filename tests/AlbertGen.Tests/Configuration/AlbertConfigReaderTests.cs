using AlbertGen.Configuration;

namespace AlbertGen.Tests.Configuration;

public sealed class AlbertConfigReaderTests
{
    [Fact]
    public void Reads_the_tiny_fixture_config()
    {
        AlbertConfig config = AlbertConfigReader.ReadFile(SharedFolder.Model("tiny"));
        Assert.Equal(1000, config.VocabSize);
        Assert.Equal(16, config.EmbeddingSize);
        Assert.Equal(32, config.HiddenSize);
        Assert.Equal(4, config.NumAttentionHeads);
        Assert.Equal(37, config.IntermediateSize);
        Assert.Equal(64, config.MaxPositionEmbeddings);
        Assert.Equal(AlbertActivation.GeluNew, config.HiddenAct);
    }

    [Fact]
    public void Reads_group_layout_and_activation_of_tiny_groups()
    {
        AlbertConfig config = AlbertConfigReader.ReadFile(SharedFolder.Model("tiny-groups"));
        Assert.Equal(4, config.NumHiddenLayers);
        Assert.Equal(2, config.NumHiddenGroups);
        Assert.Equal(2, config.InnerGroupNum);
        Assert.Equal(2, config.LayersPerGroup);
        Assert.Equal(AlbertActivation.Gelu, config.HiddenAct);
    }

    [Theory]
    [InlineData("seqcls-single3", 3, ProblemType.SingleLabelClassification)]
    [InlineData("seqcls-regression1", 1, ProblemType.Regression)]
    [InlineData("seqcls-multilabel4", 4, ProblemType.MultiLabelClassification)]
    public void Reads_labels_and_problem_type_of_head_checkpoints(string head, int labels, ProblemType problem)
    {
        AlbertConfig config = AlbertConfigReader.ReadFile(Path.Combine(SharedFolder.Model("tiny"), "heads", head));
        Assert.Equal(labels, config.NumLabels);
        Assert.Equal(labels, config.Id2Label.Count);
        Assert.Equal(problem, config.ProblemType);
    }

    [Fact]
    public void Missing_fields_take_huggingface_defaults()
    {
        AlbertConfig config = AlbertConfigReader.Parse("{}", "config.json");
        Assert.Equal(30000, config.VocabSize);
        Assert.Equal(4096, config.HiddenSize);
        Assert.Equal(64, config.NumAttentionHeads);
        Assert.Equal(2, config.NumLabels);
        Assert.Equal(["LABEL_0", "LABEL_1"], config.Id2Label);
        Assert.False(config.HasExplicitLabels);
    }

    [Fact]
    public void Hub_keys_albert_ignores_are_accepted_silently()
    {
        ConfigParseResult result = AlbertConfigReader.Parse(File.ReadAllText(Path.Combine(SharedFolder.Anchor, "config.json")));
        Assert.Empty(result.Problems);
        result = AlbertConfigReader.Parse("""{"down_scale_factor": 1, "gap_size": 0, "net_structure_type": 0, "num_memory_blocks": 0, "transformers_version": "4.40.0"}""");
        Assert.Empty(result.Problems);
    }

    [Theory]
    [InlineData("""{"hidden_size": 30, "num_attention_heads": 4}""", ConfigProblemIds.HeadsDoNotDivideHidden, "hidden_size")]
    [InlineData("""{"num_hidden_layers": 5, "num_hidden_groups": 2}""", ConfigProblemIds.GroupsDoNotDivideLayers, "num_hidden_groups")]
    [InlineData("""{"hidden_act": "tanh"}""", ConfigProblemIds.UnsupportedActivation, "hidden_act")]
    [InlineData("""{"position_embedding_type": "rotary"}""", ConfigProblemIds.UnsupportedPositionEmbedding, "position_embedding_type")]
    [InlineData("""{"model_type": "bert"}""", ConfigProblemIds.WrongModelType, "model_type")]
    [InlineData("""{"hidden_size": "768"}""", ConfigProblemIds.WrongType, "hidden_size")]
    [InlineData("""{"hidden_size": 768.5}""", ConfigProblemIds.WrongType, "hidden_size")]
    [InlineData("""{"vocab_size": 0}""", ConfigProblemIds.NonPositiveSize, "vocab_size")]
    [InlineData("""{"num_attention_heads": -4}""", ConfigProblemIds.NonPositiveSize, "num_attention_heads")]
    [InlineData("""{"hidden_dropout_prob": 1.5}""", ConfigProblemIds.ValueOutOfRange, "hidden_dropout_prob")]
    [InlineData("""{"pad_token_id": 30000}""", ConfigProblemIds.ValueOutOfRange, "pad_token_id")]
    [InlineData("""{"problem_type": "ranking"}""", ConfigProblemIds.UnsupportedProblemType, "problem_type")]
    [InlineData("""{"num_labels": 3, "id2label": {"0": "a", "1": "b"}}""", ConfigProblemIds.InconsistentLabels, "num_labels")]
    [InlineData("""{"id2label": {"0": "a", "2": "b"}}""", ConfigProblemIds.InconsistentLabels, "id2label")]
    public void Invalid_values_are_errors_naming_the_field(string json, string id, string field)
    {
        ConfigParseResult result = AlbertConfigReader.Parse(json);
        Assert.Null(result.Config);
        ConfigProblem problem = Assert.Single(result.Problems, p => p.IsError);
        Assert.Equal(id, problem.Id);
        Assert.Equal(field, problem.Field);
        Assert.Contains(field, problem.Message);
    }

    [Fact]
    public void Syntax_errors_report_line_and_column()
    {
        ConfigParseResult result = AlbertConfigReader.Parse("{\n  \"hidden_size\": 768,\n  \"vocab_size\" 30000\n}");
        ConfigProblem problem = Assert.Single(result.Problems);
        Assert.Equal(ConfigProblemIds.InvalidJson, problem.Id);
        Assert.Equal(2, problem.Position.Line);
        Assert.Equal(15, problem.Position.Column);
    }

    [Fact]
    public void Value_errors_point_at_the_value()
    {
        ConfigParseResult result = AlbertConfigReader.Parse("{\n  \"hidden_act\": \"tanh\"\n}");
        ConfigProblem problem = Assert.Single(result.Problems);
        Assert.Equal(1, problem.Position.Line);
        Assert.Equal(16, problem.Position.Column);
        Assert.Equal(6, problem.Position.Length);
    }

    [Fact]
    public void Unknown_keys_and_duplicates_are_warnings()
    {
        ConfigParseResult result = AlbertConfigReader.Parse("""{"hiden_size": 768, "vocab_size": 10, "vocab_size": 20}""");
        Assert.NotNull(result.Config);
        Assert.Equal(20, result.Config!.VocabSize);
        Assert.Contains(result.Problems, p => p.Id == ConfigProblemIds.UnknownKey && p.Field == "hiden_size" && !p.IsError);
        Assert.Contains(result.Problems, p => p.Id == ConfigProblemIds.DuplicateKey && !p.IsError);
    }

    [Fact]
    public void Question_answering_needs_two_labels()
    {
        ConfigParseResult parsed = AlbertConfigReader.Parse("""{"num_labels": 3}""");
        var problems = AlbertConfigReader.CheckHeads(parsed, AlbertHeads.QuestionAnswering, default);
        Assert.Contains(problems, p => p.Id == ConfigProblemIds.HeadNotSupported && p.IsError);
    }

    [Fact]
    public void A_head_the_checkpoint_lacks_is_a_warning()
    {
        ConfigParseResult parsed = AlbertConfigReader.Parse("""{"architectures": ["AlbertForMaskedLM"]}""");
        var problems = AlbertConfigReader.CheckHeads(parsed, AlbertHeads.MaskedLM | AlbertHeads.SequenceClassification, default);
        ConfigProblem problem = Assert.Single(problems);
        Assert.Equal(ConfigProblemIds.HeadNotInArchitectures, problem.Id);
        Assert.False(problem.IsError);
        Assert.Contains("SequenceClassification", problem.Message);
    }

    [Fact]
    public void Pretraining_checkpoints_provide_the_masked_lm_head()
    {
        Assert.Equal(AlbertHeads.PreTraining | AlbertHeads.MaskedLM,
            AlbertConfigReader.HeadsFromArchitectures(["AlbertForPreTraining"]));
    }

    [Fact]
    public void A_missing_file_names_the_path()
    {
        var e = Assert.Throws<FileNotFoundException>(() => AlbertConfigReader.ReadFile("/nonexistent/dir/config.json"));
        Assert.Contains("/nonexistent/dir/config.json", e.Message);
    }

    [Fact]
    public void Deep_nesting_is_an_error_not_a_stack_overflow()
    {
        string json = "{\"a\":" + new string('[', 100_000) + new string(']', 100_000) + "}";
        ConfigParseResult result = AlbertConfigReader.Parse(json);
        Assert.Equal(ConfigProblemIds.InvalidJson, Assert.Single(result.Problems).Id);
    }

    [Fact]
    public void Written_configs_read_back_identically()
    {
        AlbertConfig original = AlbertConfigReader.ReadFile(Path.Combine(SharedFolder.Model("tiny-groups"), "heads", "seqcls-multilabel4"));
        AlbertConfig copy = AlbertConfigReader.Parse(AlbertConfigWriter.ToJson(original), "written");
        Assert.Equivalent(original, copy, strict: true);
    }

    [Fact]
    public void Default_label_names_follow_num_labels()
    {
        Assert.Equal(["LABEL_0", "LABEL_1", "LABEL_2", "LABEL_3", "LABEL_4"], new AlbertConfig { NumLabels = 5 }.Id2Label);
    }

    [Fact]
    public void Huge_num_labels_does_not_allocate_label_names()
    {
        AlbertConfig config = AlbertConfigReader.Parse("{\"num_labels\": 2000000000}", "huge");

        Assert.Equal(2_000_000_000, config.Id2Label.Count);
        Assert.Equal("LABEL_1999999999", config.Id2Label[1_999_999_999]);
    }
}
