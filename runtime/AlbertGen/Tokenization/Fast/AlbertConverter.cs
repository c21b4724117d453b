using System.Text;
using System.Text.RegularExpressions;

namespace AlbertGen.Tokenization.Fast;

/// <summary>
/// HuggingFace's <c>AlbertConverter</c> (transformers' <c>convert_slow_tokenizer.py</c>), in memory: what
/// <c>AutoTokenizer</c> builds from a folder that has only <c>spiece.model</c>. The Unigram vocabulary with pieces like
/// <c>▁9,</c> demoted by 100; normalisers <c>``</c>→<c>"</c>, <c>''</c>→<c>"</c>, NFKD and StripAccents (unless
/// <c>keep_accents</c>), Lowercase (if <c>do_lower_case</c>), the model's precompiled chars map, runs of spaces → one;
/// Metaspace pre-tokenizer and decoder; <c>[CLS] $A [SEP]</c> / <c>[CLS] $A [SEP] $B:1 [SEP]:1</c>; the special tokens
/// as added tokens (not normalised; the mask token takes the whitespace before it).
/// </summary>
/// <remarks><c>remove_space</c> plays no part, as in HuggingFace's converter.</remarks>
internal static class AlbertConverter
{
    private const double NumberCommaPenalty = 100;

    public static FastTokenizerPipeline Convert(SentencePieceModelFile file, AlbertTokenizerOptions options)
    {
        var scores = new double[file.Pieces.Length];
        for (int id = 0; id < scores.Length; id++)
        {
            scores[id] = IsNumberComma(file.Pieces[id]) ? file.Scores[id] - NumberCommaPenalty : file.Scores[id];
        }

        var model = new UnigramModel(file.Pieces, scores, file.UnkId, file.ByteFallback);
        var normalizers = new List<NormalizerStep>
        {
            new ReplaceStep("``", null, "\""),
            new ReplaceStep("''", null, "\""),
        };
        if (!options.KeepAccents)
        {
            normalizers.Add(new DecomposeStep(NormalizationForm.FormKD));
            normalizers.Add(new StripAccentsStep());
        }

        if (options.DoLowerCase)
        {
            normalizers.Add(new LowercaseStep());
        }

        if (file.PrecompiledCharsMap.Length > 0)
        {
            normalizers.Add(new PrecompiledStep(file.PrecompiledCharsMap, $"'{file.Source}' is not a valid SentencePiece model: its precompiled chars map"));
        }

        normalizers.Add(new ReplaceStep(null, new Regex(" {2,}", RegexOptions.CultureInvariant | RegexOptions.Compiled), " "));
        const char space = SentencePieceTextNormalizer.SpaceSymbol;

        int Id(string token, string name) => model.TokenToId(token)
            ?? throw new InvalidDataException($"'{file.Source}' has no piece for the {name} '{token}'.");

        int cls = Id(options.ClsToken, "cls_token"), sep = Id(options.SepToken, "sep_token");
        AddedToken[] specials =
        [
            .. new[] { options.UnknownToken, options.SepToken, options.PadToken, options.ClsToken, options.MaskToken }
                .Distinct(StringComparer.Ordinal)
                .Select(token => new AddedToken(Id(token, "special token"), token, false, token == options.MaskToken, false, false, true))
                .OrderBy(token => token.Id),
        ];
        return new FastTokenizerPipeline(
            model, specials, [.. normalizers], [new MetaspaceStep(space, PrependScheme.Always, split: true)],
            PostProcessorTemplate.Albert(cls, options.ClsToken, sep, options.SepToken), [new MetaspaceDecoder(space, PrependScheme.Always)]);
    }

    /// <summary>The converter's <c>check_number_comma</c> failing: longer than one code point, ends in <c>,</c> after a digit.</summary>
    private static bool IsNumberComma(string piece)
    {
        if (piece.Length < 2 || piece[^1] != ',')
        {
            return false;
        }

        return Rune.DecodeLastFromUtf16(piece.AsSpan(0, piece.Length - 1), out Rune before, out _) == System.Buffers.OperationStatus.Done
            && PythonText.IsDigit(before);
    }
}
