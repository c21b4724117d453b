using System.CommandLine;
using System.Text.Json;
using AlbertGen.Checkpoints;
using AlbertGen.Cli.Progress;
using AlbertGen.Inference;
using static TorchSharp.torch;

namespace AlbertGen.Cli.Commands;

/// <summary>
/// <c>albertgen info</c>: a model's configuration, parameter count and memory, read without loading the weights, and the
/// CPU's vector features with the kernel an inference session would run each product on.
/// </summary>
internal static class InfoCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelOptions();
        var device = new DeviceOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("info", "Show a model's configuration, heads, parameter count, memory, the CPU's features and the kernel of each product.") { json };
        model.AddTo(command);
        device.AddTo(command);
        command.SetAction(parse =>
        {
            Device runOn = device.Read(parse);
            string directory = model.Resolve(parse);
            ModelInfo info = ModelInfo.Read(directory, runOn);
            context.Output.WriteLine(parse.GetValue(json) ? info.ToJson() : info.ToText());
        });
        return command;
    }
}

/// <summary>What <c>albertgen info</c> reports, from <c>config.json</c> and the checkpoint headers.</summary>
internal sealed record ModelInfo(
    string Directory, AlbertConfig Config, long Parameters, long EncoderParameters, long StoredBytes, IReadOnlyList<string> DTypes,
    IReadOnlyList<(string File, CheckpointFormat Format)> WeightFiles, bool HasTokenizer,
    InferencePlan Float32, InferencePlan BFloat16, InferencePlan? Int8, string? Int8Refusal, string Device, int CudaDevices)
{
    /// <summary>Reads the model's description, with the kernels a session on <paramref name="device"/> would choose.</summary>
    public static ModelInfo Read(string directory, Device device)
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

        return new ModelInfo(directory, config, parameters, encoder, bytes, [.. dtypes], files,
            File.Exists(Path.Combine(directory, "spiece.model")) || File.Exists(Path.Combine(directory, "tokenizer.json")),
            InferenceCompiler.Plan(config, ScalarType.Float32, new InferenceOptions { Device = device }),
            InferenceCompiler.Plan(config, ScalarType.Float32, new InferenceOptions { MatMulDType = ScalarType.BFloat16, Device = device }),
            Int8Plan(config, device, out string? refusal), refusal, AlbertDevice.Name(device), AlbertDevice.CudaDeviceCount);
    }

    /// <summary>The int8 plan, or null with the one-line reason when int8 products cannot run here.</summary>
    private static InferencePlan? Int8Plan(AlbertConfig config, Device device, out string? refusal)
    {
        try
        {
            refusal = null;
            return InferenceCompiler.Plan(config, ScalarType.Float32, new InferenceOptions { Int8 = true, Device = device });
        }
        catch (PlatformNotSupportedException e)
        {
            refusal = e.Message;
            return null;
        }
    }

    public string ToText()
    {
        AlbertConfig c = Config;
        return string.Join(Environment.NewLine,
            $"model        {Directory}",
            $"architecture {(c.Architectures.Count == 0 ? "(none given)" : string.Join(", ", c.Architectures.Select(WithCommands)))}",
            $"shape        vocab {c.VocabSize}, embedding {c.EmbeddingSize}, hidden {c.HiddenSize}, {c.NumAttentionHeads} heads of {c.AttentionHeadSize}, intermediate {c.IntermediateSize}",
            $"layers       {c.NumHiddenLayers} steps over {c.NumHiddenGroups} group(s) of {c.InnerGroupNum} layer(s): {c.NumHiddenGroups * c.InnerGroupNum} distinct layer(s)",
            $"positions    {c.MaxPositionEmbeddings} ({AlbertConfigReader.PositionEmbeddingTypeName(c.PositionEmbeddingType)}), {c.TypeVocabSize} token types",
            $"activation   {AlbertConfigReader.ActivationName(c.HiddenAct)}",
            $"labels       {c.NumLabels}: {string.Join(", ", c.Id2Label)}",
            $"parameters   {Parameters:N0} ({EncoderParameters:N0} in the encoder: its layers and the embedding-to-hidden mapping)",
            $"memory       {DownloadProgressLines.Bytes(StoredBytes)} stored as {string.Join("/", DTypes)}; {DownloadProgressLines.Bytes(Parameters * 4)} in float32, {DownloadProgressLines.Bytes(Parameters * 2)} in bfloat16",
            $"weights      {string.Join(", ", WeightFiles.Select(f => $"{f.File} ({CheckpointFormats.Describe(f.Format)})"))}",
            $"tokenizer    {(!HasTokenizer ? "none (neither tokenizer.json nor spiece.model)" : File.Exists(Path.Combine(Directory, "tokenizer.json")) ? "tokenizer.json (fast)" : "spiece.model (slow)")}",
            $"device       {Device}; CUDA {(CudaDevices > 0 ? $"available ({CudaDevices} GPU(s))" : $"not available (needs the {AlbertDevice.CudaBackendPackage} backend and an NVIDIA GPU)")}",
            $"cpu          {Float32.Cpu} (from {Float32.Cpu.Source})",
            $"kernels      {KernelLine(Float32)}",
            $"  --bf16     {KernelLine(BFloat16)}",
            $"  --int8     {(Int8 is null ? Int8Refusal : KernelLine(Int8))}");
    }

    /// <summary>The kernel of each product of the first layer (every layer has the same shapes), and any warning.</summary>
    private static string KernelLine(InferencePlan plan)
    {
        string kernels = string.Join(", ", plan.Products.Where(p => p.Group == 0 && p.Layer == 0).Select(p => $"{p.Product} [{p.Outputs}×{p.Inputs}] {p.Kernel}"));
        if (plan.FusedLayers is { } fused)
        {
            kernels += "; " + fused;
        }

        return plan.Warnings.Count == 0 ? kernels : kernels + " (" + string.Join(" ", plan.Warnings) + ")";
    }

    private static object KernelJson(InferencePlan plan) => new
    {
        matmul_dtype = plan.MatMulDType.ToString(),
        products = plan.Products.Where(p => p.Group == 0 && p.Layer == 0).ToDictionary(p => p.Product, p => p.Kernel),
        fused_layers = plan.FusedLayers,
        warnings = plan.Warnings,
    };

    /// <summary>"AlbertForPreTraining (albertgen fill-mask)": a checkpoint class with the commands that use its trained heads.</summary>
    private static string WithCommands(string architecture)
    {
        AlbertHeads provides = AlbertHeadRegistry.FromHuggingFaceName(architecture)?.Provides ?? AlbertHeads.None;
        string[] commands = AlbertHeadRegistry.All
            .Where(h => h.Head != AlbertHeads.None && (provides & h.Head) != 0 && h.Pipeline is not null)
            .Select(h => "albertgen " + h.Pipeline).ToArray();
        return commands.Length == 0 ? architecture : $"{architecture} ({string.Join(", ", commands)})";
    }

    /// <summary>
    /// One JSON object: the directory, every <c>config.json</c> field under HuggingFace's name (the label names too,
    /// even when they are HuggingFace's defaults), <c>num_labels</c>, and the checkpoint's sizes.
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("directory", Directory);
            foreach (KeyValuePair<string, object> field in AlbertConfigWriter.Fields(Config with { HasExplicitLabels = true }))
            {
                writer.WritePropertyName(field.Key);
                AlbertConfigWriter.WriteValue(writer, field.Value);
            }

            writer.WriteNumber("num_labels", Config.NumLabels);
            writer.WriteNumber("parameters", Parameters);
            writer.WriteNumber("encoder_parameters", EncoderParameters);
            writer.WriteNumber("stored_bytes", StoredBytes);
            writer.WriteStartArray("dtypes");
            foreach (string dtype in DTypes)
            {
                writer.WriteStringValue(dtype);
            }

            writer.WriteEndArray();

            writer.WriteStartArray("weight_files");
            foreach ((string file, CheckpointFormat format) in WeightFiles)
            {
                writer.WriteStartObject();
                writer.WriteString("file", file);
                writer.WriteString("format", CheckpointFormats.Describe(format));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteNumber("float32_bytes", Parameters * 4);
            writer.WriteBoolean("has_tokenizer", HasTokenizer);
            writer.WriteString("device", Device);
            writer.WriteBoolean("cuda_available", CudaDevices > 0);
            writer.WriteNumber("cuda_devices", CudaDevices);
            writer.WriteStartArray("cpu_features");
            foreach (string feature in Float32.Cpu.Names)
            {
                writer.WriteStringValue(feature);
            }

            writer.WriteEndArray();
            writer.WritePropertyName("kernels");
            JsonSerializer.Serialize(writer, new { float32 = KernelJson(Float32), bf16 = KernelJson(BFloat16), int8 = Int8 is null ? (object)new { refused = Int8Refusal } : KernelJson(Int8) });
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
