using AlbertGen.Inference;

namespace AlbertGen.Tests.Inference;

/// <summary><see cref="CpuFeatures"/>: read from a <c>/proc/cpuinfo</c>-format file, restricted on request, and what follows from them.</summary>
public sealed class CpuFeaturesTests
{
    private const string Avx512Bf16Flags = "fpu sse2 avx avx2 fma avx512f avx512dq avx512bw avx512vl avx512_bf16 avx512_vnni avx_vnni";

    private static CpuFeatures FromFlags(string flags, string? restriction = null)
    {
        using var dir = new TempDirectory();
        string path = dir.File("cpuinfo");
        File.WriteAllText(path, $"processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: sse2\n");
        return CpuFeatures.Detect(CpuFeatures.ReadCpuInfoFlags(path), restriction);
    }

    [Fact]
    public void The_first_flags_line_gives_the_features_of_interest_in_a_fixed_order()
    {
        CpuFeatures cpu = FromFlags(Avx512Bf16Flags);
        Assert.Equal(["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16", "avx512_vnni", "avx_vnni"], cpu.Names);
        Assert.True(cpu.HasNativeBFloat16);
        Assert.True(cpu.HasAvx2Fma);
        Assert.False(cpu.Has("sse2")); // not one the kernel choice looks at
    }

    [Fact]
    public void A_restriction_keeps_only_listed_features_and_never_adds_one()
    {
        CpuFeatures avx2 = FromFlags(Avx512Bf16Flags, "avx2, fma,amx_bf16");
        Assert.Equal(["avx2", "fma"], avx2.Names);
        Assert.False(avx2.HasNativeBFloat16);
        Assert.Contains("restricted", avx2.Source, StringComparison.Ordinal);
        Assert.Equal(avx2.Names, FromFlags(Avx512Bf16Flags).Restrict(["fma", "avx2"]).Names);
    }

    [Theory]
    [InlineData("avx2 fma avx512f avx512_bf16", false)] // AVX512-BF16 without BW/VL/DQ: oneDNN's bf16 path refuses it
    [InlineData("avx2 fma avx512f avx512bw avx512vl avx512dq", false)] // AVX-512 without bf16 instructions: emulated
    [InlineData("avx2 fma amx_tile amx_bf16", true)]
    [InlineData("avx2 fma avx_vnni avx_ne_convert", true)]
    [InlineData("avx2 fma", false)]
    public void Native_bfloat16_needs_the_instructions_onednn_uses(string flags, bool native) =>
        Assert.Equal(native, FromFlags(flags).HasNativeBFloat16);

    [Fact]
    public void A_file_without_flags_gives_no_features()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("cpuinfo"), "processor\t: 0\n");
        Assert.Empty(CpuFeatures.ReadCpuInfoFlags(dir.File("cpuinfo")));
        Assert.Equal("(none of interest)", CpuFeatures.Detect([], null).ToString());
    }
}
