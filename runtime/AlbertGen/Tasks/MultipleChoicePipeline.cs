using AlbertGen.Modeling;
using AlbertGen.Tokenization;

namespace AlbertGen.Tasks;

/// <summary>One choice's score.</summary>
/// <param name="Index">The choice's position in the input.</param>
/// <param name="Choice">The choice text.</param>
/// <param name="Score">Softmax over the choices of one prompt: scores sum to one.</param>
public sealed record ChoiceScore(int Index, string Choice, float Score);

/// <summary>
/// Multiple choice (<c>AlbertForMultipleChoice</c>; HuggingFace has no pipeline for it): each choice is encoded as the pair
/// <c>[CLS] prompt [SEP] choice [SEP]</c>, as the SWAG / RACE fine-tuning scripts do, every pair is scored, and the scores are
/// softmaxed over the choices.
/// </summary>
/// <remarks>Thread-safe; see <see cref="AlbertPipeline{TModel, TOutput}"/>.</remarks>
public sealed class MultipleChoicePipeline : AlbertPipeline<AlbertForMultipleChoice, MultipleChoiceOutput>
{
    /// <summary>Builds a pipeline on a loaded model.</summary>
    /// <param name="model">The model (or a generated class deriving from it).</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="options">Shared settings; null = defaults.</param>
    /// <param name="ownsModel">Whether disposing the pipeline disposes the model.</param>
    public MultipleChoicePipeline(AlbertForMultipleChoice model, AlbertTokenizer tokenizer, PipelineOptions? options = null, bool ownsModel = false)
        : base(model, tokenizer, options, ownsModel)
    {
    }

    /// <summary>Loads <c>config.json</c>, the weights and the tokenizer (<c>tokenizer.json</c> or <c>spiece.model</c>) from a directory.</summary>
    /// <param name="directory">A HuggingFace model directory with a multiple-choice checkpoint.</param>
    /// <param name="options">Shared settings; null = defaults.</param>
    /// <returns>A pipeline that owns its model.</returns>
    public static MultipleChoicePipeline FromPretrained(string directory, PipelineOptions? options = null)
    {
        var (model, tokenizer) = PipelineResources.Load(directory, options, d => AlbertForMultipleChoice.FromPretrained(d, options?.LoadOptions));
        return new MultipleChoicePipeline(model, tokenizer, options, ownsModel: true);
    }

    /// <summary>Scores the choices for one prompt; the choices go through the model together.</summary>
    /// <param name="prompt">The question or context (may be empty).</param>
    /// <param name="choices">At least one choice.</param>
    /// <param name="cancellationToken">Cancels before the forward pass.</param>
    /// <returns>A score per choice, in the choices' order.</returns>
    public IReadOnlyList<ChoiceScore> Choose(string prompt, IReadOnlyList<string> choices, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(choices);
        if (choices.Count == 0)
        {
            throw new ArgumentException("At least one choice is needed.", nameof(choices));
        }

        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        AlbertBatchEncoding rows = Tokenizer.EncodeBatch([.. choices.Select(c => (prompt, (string?)c))], BatchEncodeOptions);
        for (int i = 0; i < rows.Count; i++)
        {
            CheckLength(rows[i], i);
        }

        float[] logits = Run(
            rows,
            (output, _) => ToArray(output.Logits),
            t => new AlbertInputs
            {
                // [C, S] → one question with C choices: [1, C, S].
                InputIds = t.InputIds.unsqueeze(0),
                AttentionMask = t.AttentionMask.unsqueeze(0),
                TokenTypeIds = t.TokenTypeIds.unsqueeze(0),
            });
        float[] scores = ScoreMath.Softmax(logits);
        return [.. choices.Select((c, i) => new ChoiceScore(i, c, scores[i]))];
    }

    /// <summary>Scores several prompts, each with its own choices, in order.</summary>
    /// <param name="inputs">Prompts with their choices.</param>
    /// <param name="cancellationToken">Cancels between prompts.</param>
    /// <returns>One score list per prompt.</returns>
    public IReadOnlyList<IReadOnlyList<ChoiceScore>> ChooseBatch(IReadOnlyList<(string Prompt, IReadOnlyList<string> Choices)> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return [.. inputs.Select(input => Choose(input.Prompt, input.Choices, cancellationToken))];
    }
}
