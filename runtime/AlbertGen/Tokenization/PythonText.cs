using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace AlbertGen.Tokenization;

/// <summary>
/// The few Python <c>str</c> semantics HuggingFace's <c>AlbertTokenizer</c> relies on, where .NET's
/// built-ins differ: <c>str.isspace</c>, <c>str.lower</c> (full case mapping), <c>str.isdigit</c> and
/// <c>unicodedata.combining</c>.
/// </summary>
internal static class PythonText
{
    private static readonly ConcurrentDictionary<int, bool> CombiningCache = new();

    /// <summary>Python's <c>str.isspace</c> for one code point (unlike .NET, it includes U+001C..U+001F).</summary>
    public static bool IsSpace(int c) => c switch
    {
        >= 0x09 and <= 0x0D => true,
        >= 0x1C and <= 0x20 => true,
        0x85 or 0xA0 or 0x1680 or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        >= 0x2000 and <= 0x200A => true,
        _ => false,
    };

    /// <summary>Python's <c>str.strip()</c>.</summary>
    public static string Strip(string text)
    {
        int start = 0, end = text.Length;
        while (start < end && IsSpace(text[start]))
        {
            start++;
        }

        while (end > start && IsSpace(text[end - 1]))
        {
            end--;
        }

        return start == 0 && end == text.Length ? text : text[start..end];
    }

    /// <summary>
    /// Appends Python's <c>lower()</c> of one code point. Python applies the full (SpecialCasing) mapping,
    /// where the only unconditional difference from .NET's simple mapping is U+0130 → "i̇". Final sigma
    /// does not arise: HuggingFace lower-cases the text one character at a time.
    /// </summary>
    public static void AppendLower(Rune rune, StringBuilder output)
    {
        if (rune.Value == 0x130)
        {
            output.Append("i\u0307");
        }
        else
        {
            Rune lower = Rune.ToLowerInvariant(rune);
            output.Append(lower.ToString());
        }
    }

    /// <summary>Python's <c>str.isdigit</c> for one code point: Numeric_Type Digit or Decimal.</summary>
    public static bool IsDigit(Rune rune) =>
        rune.IsBmp ? CharUnicodeInfo.GetDigitValue((char)rune.Value) >= 0 : CharUnicodeInfo.GetDigitValue(rune.ToString(), 0) >= 0;

    /// <summary>
    /// Whether <c>unicodedata.combining</c> is non-zero (canonical combining class ≠ 0). .NET exposes no
    /// combining classes, so they are read off canonical reordering: NFD moves U+0334 (class 1) before a
    /// mark of class &gt; 1, and moves a mark of class 1..229 before U+0301 (class 230).
    /// </summary>
    public static bool IsCombining(Rune rune)
    {
        UnicodeCategory category = Rune.GetUnicodeCategory(rune);
        if (category is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark))
        {
            return false; // Every character with a non-zero class is Mn or Mc.
        }

        return CombiningCache.GetOrAdd(rune.Value, static value =>
        {
            string mark = char.ConvertFromUtf32(value);
            try
            {
                string decomposed = mark.Normalize(NormalizationForm.FormD);
                bool classAboveOne = ("a" + mark + "\u0334").Normalize(NormalizationForm.FormD) == "a\u0334" + decomposed;
                bool classBelow230 = ("a\u0301" + mark).Normalize(NormalizationForm.FormD) == "a" + decomposed + "\u0301";
                return classAboveOne || classBelow230;
            }
            catch (ArgumentException)
            {
                return false;
            }
        });
    }
}
