using System.Collections.Frozen;
using System.Runtime.Intrinsics.X86;

namespace AlbertGen.Inference;

/// <summary>
/// The CPU's vector features that decide which product kernels an <see cref="InferenceSession{TOutput}"/> may use, named as
/// Linux names them in <c>/proc/cpuinfo</c> (<c>avx2</c>, <c>fma</c>, <c>avx512f</c>, <c>avx512bw</c>, <c>avx512vl</c>,
/// <c>avx512dq</c>, <c>avx512_bf16</c>, <c>avx512_vnni</c>, <c>avx_vnni</c>, <c>amx_tile</c>, <c>amx_bf16</c>,
/// <c>amx_int8</c>, <c>avx_ne_convert</c>). Immutable.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Current"/> is detected once per process: from the <c>flags</c> line of <c>/proc/cpuinfo</c> on Linux, from
/// <c>System.Runtime.Intrinsics.X86</c> elsewhere (which does not report the bfloat16, AMX and VNNI extensions).
/// </para>
/// <para>
/// To see what the library does on a smaller CPU, set the environment variable <c>ALBERTGEN_CPU_FEATURES</c> to a comma- or
/// space-separated list of feature names before the process starts: <see cref="Current"/> then keeps only the detected
/// features in that list (<c>ALBERTGEN_CPU_FEATURES=avx2,fma</c> makes an AVX-512 machine choose kernels as an AVX2-only
/// one does; features the CPU lacks are never added). <see cref="Restrict"/> does the same for one session through
/// <see cref="InferenceOptions.Cpu"/>. libtorch and oneDNN keep their own detection (oneDNN's is capped by
/// <c>ONEDNN_MAX_CPU_ISA</c>); this class decides which of their paths AlbertGen takes.
/// </para>
/// </remarks>
public sealed class CpuFeatures
{
    /// <summary>The environment variable that restricts <see cref="Current"/> to the features it lists.</summary>
    public const string RestrictionVariable = "ALBERTGEN_CPU_FEATURES";

    /// <summary>The features the kernel choice looks at, in the order they are printed.</summary>
    public static IReadOnlyList<string> Known { get; } =
    [
        "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16", "avx512_vnni", "avx_vnni",
        "avx_ne_convert", "amx_tile", "amx_bf16", "amx_int8",
    ];

    private static readonly Lazy<CpuFeatures> Detected = new(() => Detect(File.Exists("/proc/cpuinfo") ? ReadCpuInfoFlags("/proc/cpuinfo") : null, Environment.GetEnvironmentVariable(RestrictionVariable)));

    private readonly FrozenSet<string> _features;

    private CpuFeatures(IEnumerable<string> features, string source)
    {
        _features = features.Where(Known.Contains).ToFrozenSet(StringComparer.Ordinal);
        Source = source;
    }

    /// <summary>This machine's features (restricted by <c>ALBERTGEN_CPU_FEATURES</c> when it is set), detected once.</summary>
    public static CpuFeatures Current => Detected.Value;

    /// <summary>Where the features came from (<c>/proc/cpuinfo</c> or <c>System.Runtime.Intrinsics</c>) and any restriction.</summary>
    public string Source { get; }

    /// <summary>The features present, in the order of <see cref="Known"/>.</summary>
    public IReadOnlyList<string> Names => Known.Where(_features.Contains).ToArray();

    /// <summary>Whether the CPU has <paramref name="feature"/> (a <c>/proc/cpuinfo</c> name such as <c>avx512_bf16</c>).</summary>
    /// <param name="feature">The feature name.</param>
    /// <returns>Whether it is present.</returns>
    public bool Has(string feature) => _features.Contains(feature);

    /// <summary>
    /// Whether the CPU computes bfloat16 products natively (AVX512-BF16 with AVX512BW/VL/DQ, AMX-BF16 or AVX-NE-CONVERT):
    /// oneDNN's bfloat16 kernels need it, and without it libtorch emulates bfloat16 several times slower than float32.
    /// </summary>
    public bool HasNativeBFloat16 =>
        (Has("avx512_bf16") && Has("avx512bw") && Has("avx512vl") && Has("avx512dq")) || Has("amx_bf16") || Has("avx_ne_convert");

    /// <summary>Whether the CPU has AVX2 and FMA, the least oneDNN's fast float32 kernels need.</summary>
    public bool HasAvx2Fma => Has("avx2") && Has("fma");

    /// <summary>These features without those not in <paramref name="allowed"/> (to choose kernels as a smaller CPU would).</summary>
    /// <param name="allowed">The features to keep, by <c>/proc/cpuinfo</c> name.</param>
    /// <returns>The restricted features.</returns>
    public CpuFeatures Restrict(IEnumerable<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        var keep = allowed.ToHashSet(StringComparer.Ordinal);
        return new CpuFeatures(_features.Where(keep.Contains), Source + $", restricted to {string.Join(",", keep.Order(StringComparer.Ordinal))}");
    }

    /// <summary>The features as one line: <c>avx2 fma avx512f …</c>, or <c>(none of interest)</c>.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => _features.Count == 0 ? "(none of interest)" : string.Join(' ', Names);

    /// <summary>Features from <c>/proc/cpuinfo</c> flags (or the runtime's intrinsics when null), restricted by <paramref name="restriction"/>.</summary>
    internal static CpuFeatures Detect(IReadOnlyCollection<string>? cpuInfoFlags, string? restriction)
    {
        CpuFeatures detected = cpuInfoFlags is not null ? new CpuFeatures(cpuInfoFlags, "/proc/cpuinfo") : new CpuFeatures(FromIntrinsics(), "System.Runtime.Intrinsics");
        if (string.IsNullOrWhiteSpace(restriction))
        {
            return detected;
        }

        return detected.Restrict(restriction.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(f => f.ToLowerInvariant()));
    }

    /// <summary>The words of the first <c>flags</c> line of a <c>/proc/cpuinfo</c>-format file (empty when there is none).</summary>
    internal static IReadOnlyCollection<string> ReadCpuInfoFlags(string path)
    {
        foreach (string line in File.ReadLines(path))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == "flags")
            {
                return line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
        }

        return [];
    }

    private static IEnumerable<string> FromIntrinsics()
    {
        if (Avx2.IsSupported)
        {
            yield return "avx2";
        }

        if (Fma.IsSupported)
        {
            yield return "fma";
        }

        if (Avx512F.IsSupported)
        {
            yield return "avx512f";
        }

        if (Avx512BW.IsSupported)
        {
            yield return "avx512bw";
        }

        if (Avx512F.VL.IsSupported)
        {
            yield return "avx512vl";
        }

        if (Avx512DQ.IsSupported)
        {
            yield return "avx512dq";
        }

        if (AvxVnni.IsSupported)
        {
            yield return "avx_vnni";
        }
    }
}
