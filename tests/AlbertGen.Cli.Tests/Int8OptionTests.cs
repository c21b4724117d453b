using System.Text.Json;
using AlbertGen.Inference;
using AlbertGen.Tests;

namespace AlbertGen.Cli.Tests;

/// <summary><c>--int8</c> on the task commands and the int8 line of <c>albertgen info</c>.</summary>
public sealed class Int8OptionTests
{
    [Fact]
    public async Task Int8_and_bf16_together_are_refused_in_one_line()
    {
        var (code, _, error) = await Cli.RunAsync("fill-mask", "--int8", "--bf16", "to be or not to [MASK]");
        Assert.NotEqual(0, code);
        Assert.Contains("--bf16 and --int8 exclude each other", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Info_shows_the_int8_kernels_this_cpu_would_run_on_the_anchor()
    {
        var (code, output, error) = await Cli.RunAsync("info", "--model", SharedFolder.Anchor, "--json");
        Assert.True(code == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement int8 = json.RootElement.GetProperty("kernels").GetProperty("int8");
        bool vnni = CpuFeatures.Current.Has("avx512_vnni") || CpuFeatures.Current.Has("avx_vnni") || CpuFeatures.Current.Has("amx_int8");
        if (!CpuFeatures.Current.Has("avx2"))
        {
            Assert.Contains("AVX2", int8.GetProperty("refused").GetString());
            return;
        }

        string ffn = int8.GetProperty("products").GetProperty("ffn").GetString()!;
        string managed = CpuFeatures.Current.Has("avx512bw") && System.Runtime.Intrinsics.X86.Avx512BW.IsSupported ? "managed-avx512-int8" : "managed-avx2-int8";
        Assert.Equal(vnni ? "onednn-int8" : managed, ffn); // without VNNI oneDNN's int8 is no faster than float32: the managed kernel
        Assert.Equal(0, int8.GetProperty("warnings").GetArrayLength());
    }
}
