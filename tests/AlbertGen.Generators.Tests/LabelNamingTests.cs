using AlbertGen.Generators.Parsing;
using Microsoft.CodeAnalysis.CSharp;

namespace AlbertGen.Generators.Tests;

/// <summary>How <c>id2label</c> names become enum member names.</summary>
public sealed class LabelNamingTests
{
    [Theory]
    [InlineData("positive", "Positive")]
    [InlineData("NEGATIVE", "Negative")]
    [InlineData("LABEL_0", "Label0")]
    [InlineData("B-PER", "BPer")]
    [InlineData("not_entailment", "NotEntailment")]
    [InlineData("camelCase words", "CamelCaseWords")]
    [InlineData("1 star", "Label1Star")]
    [InlineData("42", "Label42")]
    [InlineData("très bien", "TrèsBien")]
    [InlineData("a.b/c\\d", "ABCD")]
    [InlineData("_private", "Private")]
    public void Names_become_pascal_case_identifiers(string name, string expected)
    {
        Assert.Equal(expected, LabelNaming.Identifiers([name])[0]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("!?-")]
    [InlineData("😀")]
    public void Names_without_identifier_characters_become_Label_and_the_id(string name)
    {
        Assert.Equal(["First", "Label1"], LabelNaming.Identifiers(["first", name]));
    }

    [Fact]
    public void Collisions_keep_the_lowest_id_and_suffix_the_others_with_their_id()
    {
        Assert.Equal(["BPer", "BPer1", "BPer2", "Other"], LabelNaming.Identifiers(["B-PER", "b-per", "B_PER", "other"]));
    }

    [Fact]
    public void A_suffixed_name_never_takes_a_name_another_label_has()
    {
        // "a" (id 1) would become "A1", which label 2 already is.
        Assert.Equal(["A", "A1_", "A1"], LabelNaming.Identifiers(["a", "A", "a1"]));
    }

    [Fact]
    public void The_enum_name_itself_is_never_a_member_name()
    {
        Assert.Equal(["Label0", "Other"], LabelNaming.Identifiers(["label", "other"]));
    }

    [Fact]
    public void Formatting_characters_are_dropped_so_invisible_differences_cannot_collide()
    {
        // U+00AD (soft hyphen) is legal in identifiers but ignored when the compiler compares them: kept, "a\u00ADb"
        // would be a second "Ab". Dropped, it separates words like any other non-identifier character.
        Assert.Equal(["Ab", "AB"], LabelNaming.Identifiers(["ab", "a\u00ADb"]));
    }

    [Fact]
    public void Long_names_are_cut_to_a_readable_length()
    {
        Assert.Equal(LabelNaming.MaxLength, LabelNaming.Identifiers([new string('x', 1000)])[0].Length);
    }

    [Fact]
    public void Random_names_always_give_distinct_valid_identifiers()
    {
        var random = new Random(1234);
        for (int round = 0; round < 300; round++)
        {
            string[] names = Enumerable.Range(0, random.Next(1, 30)).Select(_ => RandomName(random)).ToArray();

            string[] identifiers = LabelNaming.Identifiers(names);

            Assert.Equal(names.Length, identifiers.Distinct(StringComparer.Ordinal).Count());
            Assert.All(identifiers, id => Assert.True(SyntaxFacts.IsValidIdentifier(id) && id != "Label" && id != "value__", $"'{id}' is not a usable identifier"));
        }
    }

    internal static string RandomName(Random random)
    {
        string[] pieces = ["a", "B", "_", "-", " ", "1", "é", "Ω", "\u00AD", "\u200D", "\u0301", "\uD800", "😀", "\n", "\"", "<", "&", "LABEL", "class", "value__", ""];
        return string.Concat(Enumerable.Range(0, random.Next(0, 8)).Select(_ => random.Next(4) == 0 ? ((char)random.Next(0, 0xFFFF)).ToString() : pieces[random.Next(pieces.Length)]));
    }
}
