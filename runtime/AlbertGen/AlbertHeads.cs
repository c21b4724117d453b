// Shared source: compiled into the runtime (public) and into the source generator (internal).
using System;

namespace AlbertGen
{
    /// <summary>The task heads of HuggingFace's ALBERT that a typed model can declare.</summary>
    [Flags]
#if ALBERTGEN_GENERATOR
    internal
#else
    public
#endif
    enum AlbertHeads
    {
        /// <summary>No head: only the encoder.</summary>
        None = 0,
        /// <summary><c>AlbertForPreTraining</c>: masked-LM logits and sentence-order logits.</summary>
        PreTraining = 1,
        /// <summary><c>AlbertForMaskedLM</c>: masked-LM logits.</summary>
        MaskedLM = 2,
        /// <summary><c>AlbertForSequenceClassification</c>: regression, single- or multi-label classification.</summary>
        SequenceClassification = 4,
        /// <summary><c>AlbertForTokenClassification</c>: a label per token.</summary>
        TokenClassification = 8,
        /// <summary><c>AlbertForQuestionAnswering</c>: start and end logits of an answer span.</summary>
        QuestionAnswering = 16,
        /// <summary><c>AlbertForMultipleChoice</c>: a score per choice.</summary>
        MultipleChoice = 32,
    }
}
