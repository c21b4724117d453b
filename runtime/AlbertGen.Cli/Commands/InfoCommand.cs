using System.CommandLine;
using System.Text.Json;
using AlbertGen.Checkpoints;
using AlbertGen.Cli.Progress;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen info</c>: a model's configuration, parameter count and memory, read without loading the weights.</summary>
internal static class InfoCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelOptions();
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("info", "Show a model's configuration, heads, parameter count and memory.") { json };
        model.AddTo(command);
        command.SetAction(parse =>
        {
            string directory = model.Resolve(parse);
            ModelInfo info = ModelInfo.Read(directory);
            context.Output.WriteLine(parse.GetValue(json) ? info.ToJson() : info.ToText());
        });
        return command;
    }
}

/// <summary>What <c>albertgen info</c> reports, from <c>config.json</c> and the checkpoint headers.</summary>
internal sealed record ModelInfo(string Directory, AlbertConfig Config, long Parameters, long EncoderParameters, long StoredBytes, IReadOnlyList<string> DTypes, IReadOnlyList<(string File, CheckpointFormat Format)> WeightFiles, bool HasTokenizer)
{
    public static ModelInfo Read(string directory)
    {
        AlbertConfig config = AlbertConfigReader.ReadFile(directory);
        long parameters = 0, encoder = 0, bytes = 0;
        var dtypes = new SortedSet<string>(StringComparer.Ordinal);
        IReadOnlyList<(string File, CheckpointFormat Format)> files;
        using (CheckpointSource source = CheckpointSource.Open(directory))
        {
            files = source.Files.Select(f => (Path.GetFileName(f.File), f.Format)).ToList();
            foreach (CheckpointTensorInfo tensor in source.Tensors)
            {
                if (tensor.Name.EndsWith("position_ids", StringComparison.Ordinal) || tensor.Name.StartsWith("predictions.decoder.", StringComparison.Ordinal))
                {
                    continue; // a buffer, and a copy of tied weights
                }

                parameters += tensor.ElementCount;
                bytes += tensor.ByteCount;
                dtypes.Add(SafetensorsDTypes.Name(tensor.DType));
                if (tensor.Name.Contains("encoder.", StringComparison.Ordinal))
                {
                    encoder += tensor.ElementCount;
                }
            }
        }

        return new ModelInfo(directory, config, parameters, encoder, bytes, [.. dtypes], files, File.Exists(Path.Combine(directory, "spiece.model")));
    }

    public string ToText()
    {
        AlbertConfig c = Config;
        return string.Join(Environment.NewLine,
            $"model        {Directory}",
            $"architecture {(c.Architectures.Count == 0 ? "(none given)" : string.Join(", ", c.Architectures))}",
            $"shape        vocab {c.VocabSize}, embedding {c.EmbeddingSize}, hidden {c.HiddenSize}, {c.NumAttentionHeads} heads of {c.AttentionHeadSize}, intermediate {c.IntermediateSize}",
            $"layers       {c.NumHiddenLayers} steps over {c.NumHiddenGroups} group(s) of {c.InnerGroupNum} layer(s): {c.NumHiddenGroups * c.InnerGroupNum} distinct layer(s)",
            $"positions    {c.MaxPositionEmbeddings} ({AlbertConfigReader.PositionEmbeddingTypeName(c.PositionEmbeddingType)}), {c.TypeVocabSize} token types",
            $"activation   {AlbertConfigReader.ActivationName(c.HiddenAct)}",
            $"labels       {c.NumLabels}: {string.Join(", ", c.Id2Label)}",
            $"parameters   {Parameters:N0} ({EncoderParameters:N0} in the encoder: its layers and the embedding-to-hidden mapping)",
            $"memory       {DownloadProgressLines.Bytes(StoredBytes)} stored as {string.Join("/", DTypes)}; {DownloadProgressLines.Bytes(Parameters * 4)} in float32, {DownloadProgressLines.Bytes(Parameters * 2)} in bfloat16",
            $"weights      {string.Join(", ", WeightFiles.Select(f => $"{f.File} ({CheckpointFormats.Describe(f.Format)})"))}",
            $"tokenizer    {(HasTokenizer ? "spiece.model" : "none (no spiece.model)")}");
    }

    public string ToJson() => JsonSerializer.Serialize(new
    {
        directory = Directory,
        architectures = Config.Architectures,
        vocab_size = Config.VocabSize,
        embedding_size = Config.EmbeddingSize,
        hidden_size = Config.HiddenSize,
        num_attention_heads = Config.NumAttentionHeads,
        intermediate_size = Config.IntermediateSize,
        num_hidden_layers = Config.NumHiddenLayers,
        num_hidden_groups = Config.NumHiddenGroups,
        inner_group_num = Config.InnerGroupNum,
        max_position_embeddings = Config.MaxPositionEmbeddings,
        hidden_act = AlbertConfigReader.ActivationName(Config.HiddenAct),
        id2label = Config.Id2Label,
        parameters = Parameters,
        encoder_parameters = EncoderParameters,
        stored_bytes = StoredBytes,
        dtypes = DTypes,
        weight_files = WeightFiles.Select(f => new { file = f.File, format = CheckpointFormats.Describe(f.Format) }),
        float32_bytes = Parameters * 4,
        has_tokenizer = HasTokenizer,
    });
}
