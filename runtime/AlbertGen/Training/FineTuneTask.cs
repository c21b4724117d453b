namespace AlbertGen.Training;

/// <summary>What a fine-tuning run trains, and so which head, example type and metric it uses.</summary>
public enum FineTuneTask
{
    /// <summary>One label per text or pair (<see cref="TextExample"/>); <c>AlbertForSequenceClassification</c>, accuracy.</summary>
    SequenceClassification,

    /// <summary>Several labels per text (<see cref="TextExample"/> with a list); BCE loss, micro F1.</summary>
    MultiLabelClassification,

    /// <summary>A number per text (<see cref="TextExample"/>); MSE loss, MSE and Pearson correlation.</summary>
    Regression,

    /// <summary>A tag per word (<see cref="TaggingExample"/>); <c>AlbertForTokenClassification</c>, entity F1 for BIO tags, else token F1.</summary>
    TokenClassification,

    /// <summary>Extractive answers (<see cref="QuestionAnsweringExample"/>); <c>AlbertForQuestionAnswering</c>, exact match and F1.</summary>
    QuestionAnswering,

    /// <summary>Choosing among candidates (<see cref="MultipleChoiceExample"/>); <c>AlbertForMultipleChoice</c>, accuracy.</summary>
    MultipleChoice,
}
