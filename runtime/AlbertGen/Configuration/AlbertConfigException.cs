// Runtime only.
#if !ALBERTGEN_GENERATOR
using AlbertGen.Configuration;

namespace AlbertGen;

/// <summary>A <c>config.json</c> cannot be used: it is not JSON, or a value is invalid or unsupported.</summary>
public sealed class AlbertConfigException : Exception
{
    /// <summary>Creates the exception from the problems found in <paramref name="path"/>.</summary>
    public AlbertConfigException(string path, IReadOnlyList<ConfigProblem> problems)
        : base(Describe(path, problems))
    {
        Path = path;
        Problems = problems;
    }

    /// <summary>The config file.</summary>
    public string Path { get; }

    /// <summary>Everything found, errors first.</summary>
    public IReadOnlyList<ConfigProblem> Problems { get; }

    private static string Describe(string path, IReadOnlyList<ConfigProblem> problems)
    {
        var errors = problems.Where(p => p.IsError).ToList();
        if (errors.Count == 0)
        {
            return $"{path}: invalid ALBERT config.";
        }

        return errors.Count == 1
            ? $"{path}({errors[0].Position}): {errors[0].Id}: {errors[0].Message}"
            : $"{path}: {errors.Count} errors: " + string.Join(" ", errors.Select(e => $"({e.Position}) {e.Id}: {e.Message}"));
    }
}
#endif
