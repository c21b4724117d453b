using AlbertGen.Build;
using TorchSharp;

namespace AlbertGen.Tests.Platform;

/// <summary>The build makes TorchSharp's native library loadable here (build/TorchSharpNativeFix.targets).</summary>
public sealed class TorchSharpLoadTests
{
    private const string Version = "GLIBCXX_3.4.32";
    private static readonly HashSet<string> Marker = ["_ZSt21ios_base_library_initv"];

    private static string OutputCopy =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void A_tensor_operation_runs()
    {
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using var b = a.matmul(a.t());
        Assert.Equal(new float[] { 5, 14, 14, 50 }, b.data<float>().ToArray());
    }

    [Fact]
    public void Output_copy_needs_the_version_only_weakly_whatever_the_system_libstdcxx()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(OutputCopy))
        {
            return; // Nothing to patch: not a Linux build with the RID-less TorchSharp layout.
        }

        var analysis = ElfVersionNeedPatcher.Analyze(File.ReadAllBytes(OutputCopy), "libstdc++.so.6", Version, Marker);
        Assert.Equal(ElfPatchVerdict.AlreadyWeak, analysis.Verdict);
        Assert.Equal(["_ZSt21ios_base_library_initv"], analysis.Users);
    }

    [Fact]
    public void Weakening_a_file_changes_one_byte_and_refuses_when_other_symbols_need_the_version()
    {
        string? cached = FindPackageCopy();
        Assert.NotNull(cached);
        string work = Directory.CreateTempSubdirectory("albertgen-elf-").FullName;
        try
        {
            string copy = Path.Combine(work, "libLibTorchSharp.so");
            File.Copy(cached, copy);
            byte[] original = File.ReadAllBytes(copy);

            // Refused: with no symbol allowed, the marker counts as a real user of the version.
            Assert.Equal(ElfPatchVerdict.UnsafeOtherSymbolsUseIt, ElfVersionNeedPatcher.WeakenFile(copy, "libstdc++.so.6", Version, new HashSet<string>()).Verdict);
            Assert.Equal(original, File.ReadAllBytes(copy));

            Assert.Equal(ElfPatchVerdict.Patchable, ElfVersionNeedPatcher.WeakenFile(copy, "libstdc++.so.6", Version, Marker).Verdict);
            byte[] patched = File.ReadAllBytes(copy);
            Assert.Equal(1, original.Zip(patched).Count(p => p.First != p.Second));
            Assert.Equal(ElfPatchVerdict.AlreadyWeak, ElfVersionNeedPatcher.WeakenFile(copy, "libstdc++.so.6", Version, Marker).Verdict);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// The build target patches on a build machine whose libstdc++ has the version too (a newer distribution, a container
    /// build stage) because the output may run on Debian 12: run with a stand-in libstdc++ that defines GLIBCXX_3.4.32.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void The_build_target_patches_even_where_the_build_machines_libstdcxx_has_the_version()
    {
        string? cached = FindPackageCopy();
        Assert.NotNull(cached);
        string work = Directory.CreateTempSubdirectory("albertgen-elf-target-").FullName;
        try
        {
            string output = Path.Combine(work, "bin", "runtimes", "linux-x64", "native");
            Directory.CreateDirectory(output);
            File.Copy(cached, Path.Combine(output, "libLibTorchSharp.so"));
            string newer = Path.Combine(work, "libstdc++.so.6");
            File.WriteAllBytes(newer, [0, .. System.Text.Encoding.ASCII.GetBytes("GLIBCXX_3.4.30\0GLIBCXX_3.4.32\0"), 0]);
            Assert.True(ElfVersionNeedPatcher.DefinesVersion(newer, Version));
            string root = Training.TrainingFixtures.RepositoryRoot;
            File.WriteAllText(Path.Combine(work, "Fix.proj"), $"""
                <Project>
                  <PropertyGroup>
                    <OutDir>{Path.Combine(work, "bin")}/</OutDir>
                    <AlbertGenSystemLibStdCxx>{newer}</AlbertGenSystemLibStdCxx>
                  </PropertyGroup>
                  <Import Project="{Path.Combine(root, "build", "TorchSharpNativeFix.targets")}" />
                  <Target Name="CopyFilesToOutputDirectory" />
                </Project>
                """);

            var start = new System.Diagnostics.ProcessStartInfo("dotnet", ["msbuild", "Fix.proj", "-t:CopyFilesToOutputDirectory", "-nologo", "-v:n"])
            { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = System.Diagnostics.Process.Start(start)!;
            string printed = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, printed);
            Assert.Contains(newer + " defines it", printed);

            var analysis = ElfVersionNeedPatcher.Analyze(File.ReadAllBytes(Path.Combine(output, "libLibTorchSharp.so")), "libstdc++.so.6", Version, Marker);
            Assert.Equal(ElfPatchVerdict.AlreadyWeak, analysis.Verdict);
            Assert.Equal(ElfPatchVerdict.Patchable, ElfVersionNeedPatcher.Analyze(File.ReadAllBytes(cached), "libstdc++.so.6", Version, Marker).Verdict);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void The_package_cache_copy_is_never_modified()
    {
        string? cached = FindPackageCopy();
        if (cached is null)
        {
            return; // The package cache is elsewhere; the output-copy test still covers the patch.
        }

        var analysis = ElfVersionNeedPatcher.Analyze(File.ReadAllBytes(cached), "libstdc++.so.6", Version, Marker);
        Assert.Equal(ElfPatchVerdict.Patchable, analysis.Verdict);
    }

    [Fact]
    public void Patching_sets_only_the_weak_flag()
    {
        string? cached = FindPackageCopy() ?? (File.Exists(OutputCopy) ? OutputCopy : null);
        Assert.NotNull(cached);
        byte[] original = File.ReadAllBytes(cached);
        byte[] patched = (byte[])original.Clone();
        var analysis = ElfVersionNeedPatcher.Analyze(patched, "libstdc++.so.6", Version, Marker);
        Assert.True(analysis.FlagsOffset > 0);
        ElfVersionNeedPatcher.MarkWeak(patched, analysis.FlagsOffset);

        int differences = original.Zip(patched).Count(p => p.First != p.Second);
        Assert.InRange(differences, 0, 1);
        Assert.Equal(ElfPatchVerdict.AlreadyWeak,
            ElfVersionNeedPatcher.Analyze(patched, "libstdc++.so.6", Version, Marker).Verdict);
    }

    [Fact]
    public void A_need_used_by_other_symbols_is_reported_unsafe()
    {
        string? cached = FindPackageCopy() ?? (File.Exists(OutputCopy) ? OutputCopy : null);
        Assert.NotNull(cached);
        var analysis = ElfVersionNeedPatcher.Analyze(File.ReadAllBytes(cached), "libstdc++.so.6", Version, new HashSet<string>());
        Assert.True(analysis.Verdict is ElfPatchVerdict.UnsafeOtherSymbolsUseIt or ElfPatchVerdict.AlreadyWeak);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1 })]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64 })]
    public void Non_elf_input_is_recognised_not_crashed_on(byte[] data)
    {
        Assert.Equal(ElfPatchVerdict.NotElf,
            ElfVersionNeedPatcher.Analyze(data, "libstdc++.so.6", Version, Marker).Verdict);
    }

    [Fact]
    public void Truncated_elf_is_recognised_not_crashed_on()
    {
        string? cached = FindPackageCopy() ?? (File.Exists(OutputCopy) ? OutputCopy : null);
        Assert.NotNull(cached);
        byte[] head = File.ReadAllBytes(cached).AsSpan(0, 4096).ToArray();
        Assert.Equal(ElfPatchVerdict.NotElf,
            ElfVersionNeedPatcher.Analyze(head, "libstdc++.so.6", Version, Marker).Verdict);
    }

    private static string? FindPackageCopy()
    {
        string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }
}
