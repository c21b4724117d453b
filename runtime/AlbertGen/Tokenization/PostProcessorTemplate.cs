namespace AlbertGen.Tokenization;

/// <summary>
/// One item of a post-processing template: a special token (or several ids under one name), or the tokens of the
/// first (<c>$A</c>) or second (<c>$B</c>) sequence, with the token type id the item's positions get.
/// </summary>
/// <param name="Sequence">0 for <c>$A</c>, 1 for <c>$B</c>, -1 for a special token.</param>
/// <param name="TypeId">The token type id of the item's positions.</param>
/// <param name="Ids">A special token's ids (empty for a sequence).</param>
/// <param name="Tokens">A special token's strings, one per id (empty for a sequence).</param>
internal sealed record TemplateItem(int Sequence, int TypeId, int[] Ids, string[] Tokens)
{
    public static TemplateItem First(int typeId) => new(0, typeId, [], []);

    public static TemplateItem Second(int typeId) => new(1, typeId, [], []);

    public static TemplateItem Special(int id, string token, int typeId) => new(-1, typeId, [id], [token]);
}

/// <summary>
/// How special tokens and token types are put around one sequence or a pair (HF <c>TemplateProcessing</c>);
/// ALBERT's is <c>[CLS]:0 $A:0 [SEP]:0</c> and <c>[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1</c>.
/// </summary>
/// <param name="Single">The items for one sequence.</param>
/// <param name="Pair">The items for a pair.</param>
internal sealed record PostProcessorTemplate(TemplateItem[] Single, TemplateItem[] Pair)
{
    /// <summary>No special tokens: <c>$A:0</c> and <c>$A:0 $B:1</c> (also what <c>add_special_tokens=False</c> gives).</summary>
    public static PostProcessorTemplate None { get; } = new([TemplateItem.First(0)], [TemplateItem.First(0), TemplateItem.Second(1)]);

    /// <summary>ALBERT's template.</summary>
    public static PostProcessorTemplate Albert(int clsId, string cls, int sepId, string sep) => new(
        [TemplateItem.Special(clsId, cls, 0), TemplateItem.First(0), TemplateItem.Special(sepId, sep, 0)],
        [TemplateItem.Special(clsId, cls, 0), TemplateItem.First(0), TemplateItem.Special(sepId, sep, 0), TemplateItem.Second(1), TemplateItem.Special(sepId, sep, 1)]);

    /// <summary>Number of special positions the template adds.</summary>
    public int Added(bool pair) => (pair ? Pair : Single).Where(i => i.Sequence < 0).Sum(i => i.Ids.Length);
}
