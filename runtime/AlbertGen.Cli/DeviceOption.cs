using System.CommandLine;
using static TorchSharp.torch;

namespace AlbertGen.Cli;

/// <summary>
/// <c>--device cpu|cuda|cuda:N|auto</c>, the one definition every command that runs a model adds (task commands,
/// <c>forward</c>, <c>info</c>, <c>finetune</c>, <c>pretrain</c>, <c>serve</c>, <c>cluster silo</c>).
/// </summary>
internal sealed class DeviceOption
{
    public Option<string> Option { get; } = new("--device")
    {
        Description = $"Where the model runs: {AlbertDevice.Names} (auto: the first GPU when CUDA is available, else the CPU). "
            + $"CUDA needs the {AlbertDevice.CudaBackendPackage} backend.",
        DefaultValueFactory = _ => "cpu",
    };

    public void AddTo(Command command) => command.Options.Add(Option);

    /// <summary>The device asked for: a usage error for an unknown name; an input error (exit 1, one line naming the CUDA
    /// backend package) for a GPU this process cannot use.</summary>
    public Device Read(ParseResult parse)
    {
        try
        {
            return AlbertDevice.Parse(parse.GetValue(Option) ?? "cpu");
        }
        catch (FormatException e)
        {
            throw new UsageException("--device: " + e.Message);
        }
    }
}
