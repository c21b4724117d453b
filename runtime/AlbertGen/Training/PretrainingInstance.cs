namespace AlbertGen.Training;

/// <summary>
/// One pretraining sequence: <c>[CLS] A [SEP] B [SEP]</c> with masked tokens replaced, masked-LM labels (the original id at
/// masked positions, -100 elsewhere) and the sentence-order label (0 = A precedes B in the document, 1 = swapped, as
/// HuggingFace's <c>sentence_order_label</c>).
/// </summary>
/// <param name="InputIds">Token ids after masking.</param>
/// <param name="TokenTypeIds">0 for <c>[CLS] A [SEP]</c>, 1 for <c>B [SEP]</c>.</param>
/// <param name="Labels">Masked-LM labels, -100 where not predicted.</param>
/// <param name="SentenceOrderLabel">0 in order, 1 swapped.</param>
internal sealed record PretrainingInstance(int[] InputIds, int[] TokenTypeIds, long[] Labels, int SentenceOrderLabel);
