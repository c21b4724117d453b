using System.Text.Json;
using AlbertGen.Checkpoints;
using AlbertGen.Modeling;
using AlbertGen.Tests.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Checkpoints;

/// <summary>Loading HuggingFace checkpoints: prefixes, strictness, shapes, dtypes, shards, save/load.</summary>
public sealed class CheckpointLoaderTests : IDisposable
{
    private static readonly string Tiny = SharedFolder.Model("tiny");
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static AlbertConfig TinyConfig(string? head = null) =>
        AlbertConfigReader.ReadFile(head is null ? Tiny : Path.Combine(Tiny, "heads", head));

    /// <summary>Writes a modified copy of the tiny pretraining checkpoint into a new directory (with its config).</summary>
    private string CopyOfTiny(Func<Dictionary<string, Tensor>, Dictionary<string, Tensor>> edit, string? name = null)
    {
        string directory = Path.Combine(_dir.Path, name ?? Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        using var scope = NewDisposeScope();
        using SafetensorsFile file = SafetensorsFile.Open(Path.Combine(Tiny, "model.safetensors"));
        var tensors = file.Tensors.Keys.ToDictionary(k => k, file.ReadTensor);
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), edit(tensors));
        File.Copy(Path.Combine(Tiny, "config.json"), Path.Combine(directory, "config.json"));
        return directory;
    }

    private static Tensor Ids() => tensor(new long[] { 2, 40, 41, 7, 3, 99, 100, 3 }).view(2, 4);

    [Fact]
    public void Base_model_loads_from_a_prefixed_checkpoint_and_reports_the_head_weights_as_unexpected()
    {
        using var model = new AlbertModel(TinyConfig());
        LoadReport report = model.LoadWeights(Tiny);
        Assert.Empty(report.MissingKeys);
        Assert.Contains("embeddings.word_embeddings.weight", report.LoadedKeys);
        Assert.Contains("sop_classifier.classifier.weight", report.UnexpectedKeys);
        Assert.Contains("predictions.bias", report.UnexpectedKeys);
    }

    [Fact]
    public void Head_missing_from_the_checkpoint_is_an_error_naming_its_keys()
    {
        using var model = new AlbertForSequenceClassification(TinyConfig("seqcls-single3"));
        var ex = Assert.Throws<CheckpointException>(() => model.LoadWeights(Tiny));
        Assert.Contains("classifier.bias, classifier.weight", ex.Message, StringComparison.Ordinal);
        Assert.Contains("InitializeMissingHeads", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Preparing_for_fine_tuning_keeps_fresh_head_weights_and_loads_the_body()
    {
        using var model = new AlbertForSequenceClassification(TinyConfig("seqcls-single3"));
        LoadReport report = model.LoadWeights(Tiny, new LoadOptions { InitializeMissingHeads = true });
        Assert.Equal(["classifier.bias", "classifier.weight"], report.InitializedKeys);
        Assert.Empty(report.MissingKeys);
        Assert.Contains("albert.pooler.weight", report.LoadedKeys);
    }

    [Fact]
    public void Head_loads_its_body_from_a_base_checkpoint_without_prefix()
    {
        using var body = AlbertModel.FromPretrained(Tiny);
        string saved = Path.Combine(_dir.Path, "base");
        body.Save(saved);
        using (SafetensorsFile file = SafetensorsFile.Open(Path.Combine(saved, "model.safetensors")))
        {
            Assert.DoesNotContain(file.Tensors.Keys, k => k.StartsWith("albert.", StringComparison.Ordinal));
        }

        using var mlm = new AlbertForMaskedLM(TinyConfig());
        Assert.Throws<CheckpointException>(() => mlm.LoadWeights(saved));
        LoadReport report = mlm.LoadWeights(saved, new LoadOptions { InitializeMissingHeads = true });
        Assert.Contains("predictions.dense.weight", report.InitializedKeys);
        Assert.Contains("albert.encoder.embedding_hidden_mapping_in.weight", report.LoadedKeys);
        Assert.Contains("pooler.weight", report.UnexpectedKeys); // the masked-LM model has no pooler
    }

    [Fact]
    public void Missing_body_tensor_is_an_error_naming_it()
    {
        string dir = CopyOfTiny(t => { t.Remove("albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.bias"); return t; });
        using var model = new AlbertForPreTraining(TinyConfig());
        var ex = Assert.Throws<CheckpointException>(() => model.LoadWeights(dir));
        Assert.Contains("1 weight(s) of AlbertForPreTraining are missing", ex.Message, StringComparison.Ordinal);
        Assert.Contains("albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.bias", ex.Message, StringComparison.Ordinal);

        LoadReport lenient = model.LoadWeights(dir, new LoadOptions { Strict = false });
        Assert.Equal(["albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.bias"], lenient.MissingKeys);
    }

    [Fact]
    public void Wrong_shape_is_an_error_naming_the_tensor_and_both_shapes()
    {
        AlbertConfig tiny = TinyConfig();
        var narrower = new AlbertConfig
        {
            VocabSize = tiny.VocabSize, EmbeddingSize = tiny.EmbeddingSize, HiddenSize = tiny.HiddenSize, NumHiddenLayers = tiny.NumHiddenLayers,
            NumAttentionHeads = tiny.NumAttentionHeads, IntermediateSize = 36, MaxPositionEmbeddings = tiny.MaxPositionEmbeddings,
        };
        using var model = new AlbertForPreTraining(narrower);
        var ex = Assert.Throws<CheckpointException>(() => model.LoadWeights(Tiny));
        Assert.Contains("'albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight' has shape [37, 32], the model expects [36, 32]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_keys_fail_strict_loading_and_are_reported_otherwise()
    {
        string dir = CopyOfTiny(t => { t["albert.encoder.albert_layer_groups.1.albert_layers.0.ffn.bias"] = zeros(37); return t; });
        using var model = new AlbertForPreTraining(TinyConfig());
        var ex = Assert.Throws<CheckpointException>(() => model.LoadWeights(dir));
        Assert.Contains("match no parameter", ex.Message, StringComparison.Ordinal);
        Assert.Contains("albert_layer_groups.1", ex.Message, StringComparison.Ordinal);

        LoadReport report = model.LoadWeights(dir, new LoadOptions { Strict = false });
        Assert.Equal(["albert.encoder.albert_layer_groups.1.albert_layers.0.ffn.bias"], report.UnexpectedKeys);
    }

    [Fact]
    public void Position_ids_and_the_tied_decoder_copies_are_ignored()
    {
        string dir = CopyOfTiny(t =>
        {
            t["albert.embeddings.position_ids"] = arange(64).unsqueeze(0);
            t["predictions.decoder.weight"] = t["albert.embeddings.word_embeddings.weight"];
            t["predictions.decoder.bias"] = t["predictions.bias"];
            return t;
        });
        using var model = new AlbertForMaskedLM(TinyConfig());
        LoadReport report = model.LoadWeights(dir);
        Assert.Equal(["albert.embeddings.position_ids", "predictions.decoder.bias", "predictions.decoder.weight"], report.IgnoredKeys);
        Assert.Empty(report.MissingKeys);
    }

    [Fact]
    public void Decoder_bias_stands_in_for_a_missing_predictions_bias()
    {
        string dir = CopyOfTiny(t =>
        {
            t["predictions.decoder.bias"] = t["predictions.bias"];
            t.Remove("predictions.bias");
            return t;
        });
        using var model = new AlbertForMaskedLM(TinyConfig());
        LoadReport report = model.LoadWeights(dir);
        Assert.Contains("predictions.bias", report.LoadedKeys);
    }

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Half_precision_checkpoints_are_converted_to_the_model_dtype(ScalarType stored)
    {
        string dir = CopyOfTiny(t => t.ToDictionary(kv => kv.Key, kv => kv.Value.to(stored)));
        using var model = AlbertForPreTraining.FromPretrained(dir);
        Assert.Equal(ScalarType.Float32, model.DType);
        using SafetensorsFile file = SafetensorsFile.Open(Path.Combine(dir, "model.safetensors"));
        using Tensor expected = file.ReadTensor("albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight");
        Assert.Equal(SafetensorsDTypes.FromScalarType(stored), file.Tensors["albert.pooler.weight"].DType);
        Assert.True(expected.to(ScalarType.Float32).eq(model.get_parameter("albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight")!).all().item<bool>());
    }

    [Fact]
    public void Sharded_checkpoints_load_through_their_index()
    {
        string dir = Path.Combine(_dir.Path, "sharded");
        Directory.CreateDirectory(dir);
        var weightMap = new Dictionary<string, string>();
        using (var scope = NewDisposeScope())
        using (SafetensorsFile file = SafetensorsFile.Open(Path.Combine(Tiny, "model.safetensors")))
        {
            var names = file.Tensors.Keys.ToList();
            for (int shard = 0; shard < 2; shard++)
            {
                string shardName = $"model-0000{shard + 1}-of-00002.safetensors";
                var part = names.Where((_, i) => i % 2 == shard).ToList();
                SafetensorsWriter.Write(Path.Combine(dir, shardName), part.Select(n => new KeyValuePair<string, Tensor>(n, file.ReadTensor(n))));
                part.ForEach(n => weightMap[n] = shardName);
            }
        }

        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = weightMap }));
        File.Copy(Path.Combine(Tiny, "config.json"), Path.Combine(dir, "config.json"));

        using var sharded = AlbertForPreTraining.FromPretrained(dir);
        using var single = AlbertForPreTraining.FromPretrained(Tiny);
        using Tensor ids = Ids();
        using var a = sharded.forward(new AlbertInputs { InputIds = ids });
        using var b = single.forward(new AlbertInputs { InputIds = ids });
        TensorAssert.Close(b.PredictionLogits, a.PredictionLogits, "sharded", atol: 0, rtol: 0);
    }

    [Fact]
    public void An_index_naming_a_shard_outside_its_directory_is_rejected()
    {
        string index = _dir.File("model.safetensors.index.json");
        File.WriteAllText(index, "{\"weight_map\": {\"w\": \"../elsewhere.safetensors\"}}");
        using var model = new AlbertModel(TinyConfig());
        var ex = Assert.ThrowsAny<CheckpointFormatException>(() => model.LoadWeights(index));
        Assert.Contains("must name a shard file in the same directory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_without_a_checkpoint_is_an_error()
    {
        using var model = new AlbertModel(TinyConfig());
        Assert.Contains("no such checkpoint", Assert.Throws<CheckpointException>(() => model.LoadWeights(_dir.File("nothing"))).Message, StringComparison.Ordinal);
        Assert.Contains("no weights in this directory (looked for model.safetensors", Assert.Throws<CheckpointException>(() => model.LoadWeights(_dir.Path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Saved_models_load_back_with_identical_outputs_and_their_architecture()
    {
        using var original = AlbertForSequenceClassification.FromPretrained(Path.Combine(Tiny, "heads", "seqcls-multilabel4"));
        string dir = Path.Combine(_dir.Path, "saved");
        original.Save(dir);

        AlbertConfig config = AlbertConfigReader.ReadFile(dir);
        Assert.Equal(["AlbertForSequenceClassification"], config.Architectures);
        Assert.Equal(4, config.NumLabels);
        Assert.Equal(ProblemType.MultiLabelClassification, config.ProblemType);

        using var reloaded = AlbertForSequenceClassification.FromPretrained(dir);
        using Tensor ids = Ids();
        using var a = original.forward(new AlbertInputs { InputIds = ids });
        using var b = reloaded.forward(new AlbertInputs { InputIds = ids });
        TensorAssert.Close(a.Logits, b.Logits, "round trip", atol: 0, rtol: 0);
    }

    [Fact]
    public void Saved_masked_lm_stores_the_tied_decoder_once()
    {
        using var model = new AlbertForMaskedLM(TinyConfig());
        string dir = Path.Combine(_dir.Path, "mlm");
        model.Save(dir);
        using SafetensorsFile file = SafetensorsFile.Open(Path.Combine(dir, "model.safetensors"));
        Assert.DoesNotContain("predictions.decoder.weight", file.Tensors.Keys);
        Assert.Contains("predictions.bias", file.Tensors.Keys);
        Assert.Equal(model.named_parameters().Count(), file.Tensors.Count);
    }
}
