namespace AlbertGen.Hub;

/// <summary>Rules for revisions (branch, tag or commit names) and the commit ids servers send back.</summary>
internal static class HubRevision
{
    /// <summary>The branch huggingface_hub uses when none is given.</summary>
    public const string Main = "main";

    /// <summary>Whether the text is a full git commit id (40 lowercase hex digits), as the hub's snapshots are named.</summary>
    public static bool IsCommitHash(string text) => text.Length == 40 && IsLowerHex(text);

    /// <summary>Whether the text is a 64-hex sha256, the ETag the hub sends for LFS files.</summary>
    public static bool IsSha256(string text) => text.Length == 64 && IsLowerHex(text);

    /// <summary>
    /// Throws unless the revision can name a <c>refs/</c> file and a snapshot folder: relative, '/'-separated
    /// segments without "." or "..", made of letters, digits and <c>-_.</c> (branches like <c>refs/pr/1</c> included).
    /// </summary>
    public static void Validate(string revision)
    {
        ArgumentNullException.ThrowIfNull(revision);
        string? problem = Check(revision);
        if (problem is not null)
        {
            throw new HubException(HubErrorKind.InvalidRevision, $"'{revision}' is not a usable revision: {problem}.");
        }
    }

    private static string? Check(string revision)
    {
        if (revision.Length is 0 or > 255)
        {
            return "expected 1 to 255 characters";
        }

        foreach (string segment in revision.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or "..")
            {
                return "empty, '.' and '..' path segments are not allowed";
            }

            foreach (char c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                {
                    return $"the character '{c}' is not allowed (letters, digits, '-', '_', '.' and '/' are)";
                }
            }
        }

        return null;
    }

    private static bool IsLowerHex(string text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }

        return true;
    }
}
