namespace AlbertGen.Training;

/// <summary>One training or evaluation example of a fine-tuning task.</summary>
public abstract record TrainingExample
{
    /// <summary>Where it came from; in-memory examples may leave it null (their list index is used in messages).</summary>
    public SourceLocation? Location { get; init; }
}

/// <summary>
/// A text (or pair) with its label, for sequence classification, regression and multi-label classification.
/// </summary>
/// <param name="Text">The first text.</param>
/// <param name="TextPair">The second text of a pair, or null.</param>
/// <param name="Labels">One label (a class name, an integer class or a number for regression), or several for
/// multi-label classification; empty when unlabelled (prediction only).</param>
public sealed record TextExample(string Text, string? TextPair, IReadOnlyList<string> Labels) : TrainingExample
{
    /// <summary>A single-label example.</summary>
    /// <param name="text">The text.</param>
    /// <param name="label">Its label.</param>
    /// <param name="textPair">Optional second text.</param>
    public TextExample(string text, string label, string? textPair = null) : this(text, textPair, [label])
    {
    }
}

/// <summary>Pre-split words with one tag each, for token classification (HuggingFace <c>tokens</c>/<c>ner_tags</c> form).</summary>
/// <param name="Words">The words.</param>
/// <param name="Tags">One tag per word.</param>
public sealed record TaggingExample(IReadOnlyList<string> Words, IReadOnlyList<string> Tags) : TrainingExample;

/// <summary>A SQuAD-style question with its context and answers.</summary>
/// <param name="Id">Example id (used to group windows of a long context).</param>
/// <param name="Question">The question.</param>
/// <param name="Context">The context the answer is extracted from.</param>
/// <param name="Answers">Gold answers: text and character start in <see cref="Context"/>; the first one is trained on.</param>
public sealed record QuestionAnsweringExample(string Id, string Question, string Context, IReadOnlyList<(string Text, int Start)> Answers) : TrainingExample;

/// <summary>A prompt with candidate endings and the index of the right one.</summary>
/// <param name="Prompt">Question or context shared by every choice.</param>
/// <param name="Choices">The candidates (at least two; all examples of a dataset have the same count).</param>
/// <param name="Label">Index of the right choice.</param>
public sealed record MultipleChoiceExample(string Prompt, IReadOnlyList<string> Choices, int Label) : TrainingExample;
