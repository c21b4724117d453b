using AlbertGen;

namespace AlbertGen.Tests.Typed;

/// <summary>
/// The shared tiny fixture as a typed model. The path is relative to the project folder (the shared folder lies beside
/// the repository); the heads come from its architectures (AlbertForPreTraining: pre-training and masked LM).
/// </summary>
[AlbertModel("../../../shared/fixtures/models/tiny/config.json")]
internal static partial class TinyTyped;

/// <summary>The shared tiny single-label classification checkpoint (3 labels in id2label) as a typed model.</summary>
[AlbertModel("../../../shared/fixtures/models/tiny/heads/seqcls-single3/config.json")]
internal static partial class TinySingle3;
