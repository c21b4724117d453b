namespace AlbertGen.Server.Engine;

/// <summary>What a served checkpoint can answer; each model-dependent route needs one.</summary>
internal enum ModelCapability
{
    /// <summary>Sentence embeddings: the encoder, which every ALBERT checkpoint has.</summary>
    Embeddings,

    /// <summary>Fill-mask: a masked-LM head.</summary>
    FillMask,

    /// <summary>Sequence classification.</summary>
    Classification,

    /// <summary>Re-ranking: sequence classification with one label (a cross-encoder).</summary>
    Reranking,

    /// <summary>Token classification.</summary>
    TokenClassification,

    /// <summary>Extractive question answering.</summary>
    QuestionAnswering,

    /// <summary>Multiple choice.</summary>
    MultipleChoice,
}

/// <summary>The head each capability needs, and the checkpoint classes that hold it, from <see cref="AlbertHeadRegistry"/>.</summary>
internal static class ModelCapabilities
{
    /// <summary>The head a capability needs; <see cref="AlbertHeads.None"/> (the encoder) for embeddings.</summary>
    public static AlbertHeads Head(ModelCapability capability) => capability switch
    {
        ModelCapability.FillMask => AlbertHeads.MaskedLM,
        ModelCapability.Classification or ModelCapability.Reranking => AlbertHeads.SequenceClassification,
        ModelCapability.TokenClassification => AlbertHeads.TokenClassification,
        ModelCapability.QuestionAnswering => AlbertHeads.QuestionAnswering,
        ModelCapability.MultipleChoice => AlbertHeads.MultipleChoice,
        _ => AlbertHeads.None,
    };

    /// <summary>The HuggingFace classes whose checkpoints hold the head (<c>AlbertForPreTraining or AlbertForMaskedLM</c>).</summary>
    public static string Classes(ModelCapability capability)
    {
        AlbertHeads head = Head(capability);
        return string.Join(" or ", AlbertHeadRegistry.All.Where(h => h.Head != AlbertHeads.None && (h.Provides & head) == head).Select(h => h.HuggingFaceName));
    }

    /// <summary>The head's description as the registry words it (<c>ALBERT with its masked-language-model head</c>).</summary>
    public static string Description(ModelCapability capability) => AlbertHeadRegistry.Of(Head(capability)).Description;
}
