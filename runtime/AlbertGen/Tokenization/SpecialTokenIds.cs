namespace AlbertGen.Tokenization;

/// <summary>The ids of ALBERT's five special tokens in one tokenizer's vocabulary.</summary>
internal sealed record SpecialTokenIds(int Pad, int Unknown, int Cls, int Sep, int Mask);
