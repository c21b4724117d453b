using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Tokenization;

/// <summary>
/// The SentencePiece layer on its own, on SentencePiece's test model (<c>&lt;unk&gt;</c>=0, <c>&lt;s&gt;</c>=1,
/// <c>&lt;/s&gt;</c>=2, plain NFKC): parsing, normalisation and segmentation without ALBERT's rules.
/// </summary>
public sealed class SentencePieceModelTests
{
    private static readonly string TestModelPath = Path.Combine(SharedFolder.Tokenizer, "sentencepiece-test", "test_model.model");

    private static readonly Lazy<SentencePieceEncoder> Encoder = new(() =>
        new SentencePieceEncoder(SentencePieceModelFile.Parse(File.ReadAllBytes(TestModelPath), TestModelPath)));

    [Fact]
    public void Test_model_parses_with_its_own_special_ids()
    {
        SentencePieceModelFile file = Encoder.Value.File;
        Assert.Equal(1000, file.Pieces.Length);
        Assert.Equal((0, 1, 2, -1), (file.UnkId, file.BosId, file.EosId, file.PadId));
        Assert.Equal(("<unk>", "<s>", "</s>"), (file.Pieces[0], file.Pieces[1], file.Pieces[2]));
        Assert.Equal(PieceType.Control, file.Types[1]);
        Assert.Equal("nfkc", file.NormalizerName);
    }

    [Fact]
    public void Test_model_segments_text()
    {
        Assert.Equal(["▁he", "ll", "o", "▁world"], Encoder.Value.EncodeAsPieces("hello world"));
        Assert.Equal(["▁he", "ll", "o", "▁world"], Encoder.Value.EncodeAsPieces("  hello   world  "));
    }

    [Fact]
    public void Test_model_ids_follow_its_vocabulary()
    {
        Assert.Equal(39, Encoder.Value.PieceToId("▁he"));
        Assert.Equal(887, Encoder.Value.PieceToId("▁world"));
        Assert.Equal(0, Encoder.Value.PieceToId("not a piece"));
    }

    [Fact]
    public void Test_model_merges_unknown_runs_into_one_piece()
    {
        var pieces = new List<SentencePiece>();
        string normalized = Encoder.Value.Normalizer.Normalize("東京 x");
        Encoder.Value.Encode(normalized, pieces);
        Assert.Equal(["▁", "東京", "▁", "x"], pieces.Select(p => normalized.Substring(p.Start, p.Length)));
        Assert.Equal([false, true, false, false], pieces.Select(p => p.Unknown));
        Assert.Equal(0, pieces[1].Id);
    }

    [Fact]
    public void Nfkc_normaliser_folds_compatibility_characters()
    {
        Assert.Equal("▁fi▁ABC▁1", Encoder.Value.Normalizer.Normalize("ﬁ ＡＢＣ ①"));
    }

    [Fact]
    public void Albert_normaliser_composes_and_maps_spaces()
    {
        var normalizer = new SentencePieceTextNormalizer(SentencePieceModelFile.Parse(File.ReadAllBytes(Golden.ModelPath), Golden.ModelPath));
        Assert.Equal("▁é▁x", normalizer.Normalize("e\u0301\u00A0x"));
        Assert.Equal("▁zero▁width", normalizer.Normalize("zero\u200Bwidth"));
        Assert.Equal("", normalizer.Normalize(" \u3000 "));
    }
}
