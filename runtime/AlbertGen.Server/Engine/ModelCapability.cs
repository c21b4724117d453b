namespace AlbertGen.Server.Engine;

/// <summary>What a served checkpoint can answer; each model-dependent route needs one.</summary>
public enum ModelCapability
{
    /// <summary>Sentence embeddings: the encoder, which every ALBERT checkpoint has.</summary>
    Embeddings,

    /// <summary>Fill-mask: a masked-LM head (<c>AlbertForMaskedLM</c> or <c>AlbertForPreTraining</c>).</summary>
    FillMask,

    /// <summary>Sequence classification (<c>AlbertForSequenceClassification</c>).</summary>
    Classification,

    /// <summary>Re-ranking: sequence classification with one label (a cross-encoder).</summary>
    Reranking,

    /// <summary>Token classification (<c>AlbertForTokenClassification</c>).</summary>
    TokenClassification,

    /// <summary>Extractive question answering (<c>AlbertForQuestionAnswering</c>).</summary>
    QuestionAnswering,

    /// <summary>Multiple choice (<c>AlbertForMultipleChoice</c>).</summary>
    MultipleChoice,
}
