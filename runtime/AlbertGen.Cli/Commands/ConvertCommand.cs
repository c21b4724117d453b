using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using AlbertGen.Checkpoints;
using AlbertGen.Cli.Progress;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen convert</c>: writes a model folder's PyTorch, Flax or TensorFlow weights as safetensors, once.</summary>
internal static class ConvertCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelOptions();
        var output = new Option<string>("--output") { Description = "New model folder to write (must not exist, or be empty).", Required = true };
        var maxShardSize = new Option<string>("--max-shard-size")
        {
            Description = "Largest safetensors file before the weights are sharded, e.g. 5GB (the default, as HuggingFace), 500MB, 2GiB.",
            DefaultValueFactory = _ => "5GB",
        };
        var command = new Command("convert", "Write a model's weights (PyTorch .bin, Flax .msgpack, TF .h5 or safetensors) as HuggingFace safetensors, with its config and tokenizer files.")
        {
            output, maxShardSize,
        };
        model.AddTo(command);
        command.SetAction(parse =>
        {
            long shardBytes = ParseSize(parse.GetValue(maxShardSize)!);
            SafetensorsConversion result = SafetensorsConverter.Convert(model.Resolve(parse), parse.GetValue(output)!, shardBytes);
            string from = string.Join(", ", result.SourceFiles.Select(f => $"{Path.GetFileName(f.File)} ({CheckpointFormats.Describe(f.Format)})"));
            context.Output.WriteLine(
                $"{result.OutputDirectory}: {result.TensorCount} tensors, {DownloadProgressLines.Bytes(result.TotalBytes)} in {string.Join(", ", result.WeightFiles)}, from {from}" +
                (result.SkippedTensors.Count > 0 ? $"; left out as HuggingFace does: {string.Join(", ", result.SkippedTensors)}" : ""));
        });
        return command;
    }

    /// <summary>Bytes in a size such as <c>5GB</c> (decimal units, as HuggingFace's <c>max_shard_size</c>), <c>2GiB</c> or <c>1000</c>.</summary>
    internal static long ParseSize(string text)
    {
        Match m = Regex.Match(text.Trim(), @"^(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        if (!m.Success)
        {
            throw new UsageException($"--max-shard-size '{text}' is not a size such as 5GB, 500MB, 2GiB or 1000000 (bytes).");
        }

        double value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        string unit = m.Groups[2].Success ? m.Groups[2].Value.ToUpperInvariant() : "B";
        double scale = unit switch
        {
            "B" => 1,
            "KB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            "TB" => 1e12,
            "KIB" => 1L << 10,
            "MIB" => 1L << 20,
            "GIB" => 1L << 30,
            _ => 1L << 40,
        };
        double bytes = value * scale;
        return bytes >= 1 && bytes < long.MaxValue
            ? (long)bytes
            : throw new UsageException($"--max-shard-size '{text}' must be at least one byte.");
    }
}
