using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace AlbertGen.Hub;

/// <summary>
/// A HuggingFace model repository id: <c>org/name</c> (<c>albert/albert-base-v2</c>) or a legacy id without an
/// organisation (<c>albert-base-v2</c>). Validated with huggingface_hub's rules, so an id can never name a path
/// outside the cache.
/// </summary>
public sealed partial record HubRepoId
{
    private HubRepoId(string? organization, string name)
    {
        Organization = organization;
        Name = name;
    }

    /// <summary>The organisation or user (<c>albert</c>), or <see langword="null"/> for a legacy id.</summary>
    public string? Organization { get; }

    /// <summary>The repository name (<c>albert-base-v2</c>).</summary>
    public string Name { get; }

    /// <summary>The folder of this repository inside the hub cache: <c>models--{org}--{name}</c>.</summary>
    public string CacheFolderName => Organization is null ? $"models--{Name}" : $"models--{Organization}--{Name}";

    /// <summary>Parses a repo id.</summary>
    /// <param name="text">The id, <c>name</c> or <c>org/name</c>.</param>
    /// <returns>The id.</returns>
    /// <exception cref="HubException">The text is not a valid id (<see cref="HubErrorKind.InvalidRepoId"/>).</exception>
    public static HubRepoId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var id, out string? problem)
            ? id
            : throw new HubException(HubErrorKind.InvalidRepoId, $"'{text}' is not a HuggingFace repo id: {problem}.");
    }

    /// <summary>Parses a repo id, without throwing.</summary>
    /// <param name="text">The id, <c>name</c> or <c>org/name</c>.</param>
    /// <param name="id">The id, when valid.</param>
    /// <returns>Whether the text is a valid id.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out HubRepoId? id) =>
        TryParse(text, out id, out _);

    internal static bool TryParse(
        [NotNullWhen(true)] string? text, [NotNullWhen(true)] out HubRepoId? id, [NotNullWhen(false)] out string? problem)
    {
        id = null;
        if (string.IsNullOrEmpty(text))
        {
            problem = "it is empty";
            return false;
        }

        // huggingface_hub's validate_repo_id: at most one '/', each part starts and ends with a letter, digit or
        // '_', contains only those and '-' '.', the name has at most 96 characters, no "--" or "..", no ".git" end.
        if (!IdPattern().IsMatch(text))
        {
            problem = "expected 'name' or 'org/name' made of letters, digits, '-', '_' and '.', " +
                "each part starting and ending with a letter or digit, the name at most 96 characters";
            return false;
        }

        if (text.Contains("--", StringComparison.Ordinal) || text.Contains("..", StringComparison.Ordinal))
        {
            problem = "'--' and '..' are not allowed in a repo id";
            return false;
        }

        if (text.EndsWith(".git", StringComparison.Ordinal))
        {
            problem = "a repo id cannot end with '.git'";
            return false;
        }

        int slash = text.IndexOf('/', StringComparison.Ordinal);
        id = slash < 0 ? new HubRepoId(null, text) : new HubRepoId(text[..slash], text[(slash + 1)..]);
        problem = null;
        return true;
    }

    /// <summary>The id as written on the hub: <c>org/name</c> or <c>name</c>.</summary>
    /// <returns>The id text.</returns>
    public override string ToString() => Organization is null ? Name : $"{Organization}/{Name}";

    [GeneratedRegex(@"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?/)?[A-Za-z0-9_](?:[A-Za-z0-9_.\-]{0,94}[A-Za-z0-9_])?$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
