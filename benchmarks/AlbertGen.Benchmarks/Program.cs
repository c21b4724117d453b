using System.Diagnostics;

namespace AlbertGen.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/AlbertGen.Benchmarks -- [--quick] [--sections a,b,…]</c>: AlbertGen against
/// ONNX Runtime on the albert-base-v2-shaped anchor and the small anchor, float32 and int8, with the machine's limits
/// measured in the same run, in one run. Sub-commands <c>load …</c> and <c>rss …</c> are the fresh processes the run
/// launches itself.
/// </summary>
internal static class Program
{
    /// <summary>Intra-op threads of both engines.</summary>
    public const int Threads = 2;

    private static int Main(string[] args)
    {
        long mainStarted = Stopwatch.GetTimestamp();
        if (args.Length == 2 && args[0] == "load")
        {
            return ChildCommands.Load(args[1], mainStarted);
        }

        if (args.Length == 2 && args[0] == "rss")
        {
            return ChildCommands.Rss(args[1]);
        }

        if (args.Length >= 3 && args[0] == "profile")
        {
            return Profile.Run(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture),
                args.Length > 3 && args[3] == "bf16" ? TorchSharp.torch.ScalarType.BFloat16 : TorchSharp.torch.ScalarType.Float32);
        }

        var settings = BenchmarkSettings.Parse(args);
        if (settings is null)
        {
            Console.Error.WriteLine(BenchmarkSettings.Usage);
            return 2;
        }

        return new BenchmarkRun(settings).Execute();
    }
}
