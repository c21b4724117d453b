namespace AlbertGen.Models;

/// <summary>
/// ALBERT base v2: 12 layer steps sharing one group, hidden size 768, 12 heads (about 12M parameters), compiled from the published <c>albert-base-v2</c> config.json.
/// </summary>
// The published config says architectures: ["AlbertForMaskedLM"], but the released checkpoint was converted from the
// TensorFlow pre-training weights and carries the sentence-order head too, so PreTraining is declared on purpose and
// the generator's "head not in architectures" warning (ALBG012) does not apply here.
#pragma warning disable ALBG012
[AlbertModel("config.json", Heads = AlbertHeads.PreTraining | AlbertHeads.MaskedLM)]
#pragma warning restore ALBG012
public static partial class AlbertBaseV2;
