using AlbertGen.Tokenization;
using Microsoft.ML.Tokenizers;

/// <summary>Plain ML.Tokenizers on the same model, with only the in-memory fix that lets it load.</summary>
internal static class RawModel
{
    public static SentencePieceTokenizer Load(string path)
    {
        var file = SentencePieceModelFile.Parse(File.ReadAllBytes(path), path);
        int cls = Array.IndexOf(file.Pieces, "[CLS]"), sep = Array.IndexOf(file.Pieces, "[SEP]");
        using var stream = new MemoryStream(file.WithSentenceIds(cls, sep));
        return SentencePieceTokenizer.Create(stream, false, false);
    }
}
