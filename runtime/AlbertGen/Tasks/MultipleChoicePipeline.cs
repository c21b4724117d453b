using AlbertGen.Modeling;
using AlbertGen.Tokenization;

namespace AlbertGen.Tasks;

/// <summary>One choice's score.</summary>
/// <param name="Index">The choice's position in the input.</param>
/// <param name="Choice">The choice text.</param>
/// <param name="Score">Softmax over the choices of one prompt: scores sum to one.</param>
public sealed record ChoiceScore(int Index, string Choice, float Score);

/// <summary>A prompt after multiple choice's preprocess stage: one row per choice.</summary>
public sealed class MultipleChoiceInput : PreparedInput
{
    internal MultipleChoiceInput(string prompt, IReadOnlyList<string> choices, IReadOnlyList<AlbertEncoding> rows)
        : base(rows)
    {
        Prompt = prompt;
        Choices = choices;
    }

    /// <summary>The question or context.</summary>
    public string Prompt { get; }

    /// <summary>The choices, in order.</summary>
    public IReadOnlyList<string> Choices { get; }
}

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
        MultipleChoiceInput input = Preprocess(prompt, choices);
        cancellationToken.ThrowIfCancellationRequested();
        return Postprocess(input, Forward([input])[0]);
    }

    /// <summary>Scores several prompts, each with its own choices, in order; prompts with as many choices share passes.</summary>
    /// <param name="inputs">Prompts with their choices.</param>
    /// <param name="cancellationToken">Cancels between passes.</param>
    /// <returns>One score list per prompt.</returns>
    public IReadOnlyList<IReadOnlyList<ChoiceScore>> ChooseBatch(IReadOnlyList<(string Prompt, IReadOnlyList<string> Choices)> inputs, CancellationToken cancellationToken = default)
    {
        MultipleChoiceInput[] prepared = PreprocessAll(inputs, input => Preprocess(input.Prompt, input.Choices));
        return Compose(prepared, Forward, Postprocess, cancellationToken);
    }

    /// <summary>Preprocess stage: encodes each choice as the pair <c>[CLS] prompt [SEP] choice [SEP]</c>, one row per choice.</summary>
    /// <param name="prompt">The question or context (may be empty).</param>
    /// <param name="choices">At least one choice.</param>
    /// <param name="truncate">Whether a pair longer than <see cref="AlbertPipeline{TModel, TOutput}.MaxLength"/> is cut; null = <see cref="PipelineOptions.Truncation"/>.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="ArgumentException">There are no choices.</exception>
    /// <exception cref="InputTooLongException">A pair is too long and truncation is off.</exception>
    public MultipleChoiceInput Preprocess(string prompt, IReadOnlyList<string> choices, bool? truncate = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(choices);
        if (choices.Count == 0)
        {
            throw new ArgumentException("At least one choice is needed.", nameof(choices));
        }

        return new MultipleChoiceInput(prompt, choices, [.. choices.Select(c => EncodeRow(prompt, c, truncate))]);
    }

    /// <summary>
    /// Forward stage: the logit of every choice. Prompts with the same number of choices go through one pass
    /// (<c>[prompts, choices, S]</c>); a list mixing choice counts takes one pass per count.
    /// </summary>
    /// <param name="inputs">Preprocessed prompts.</param>
    /// <returns>Per input, one logit per choice.</returns>
    public IReadOnlyList<float[]> Forward(IReadOnlyList<MultipleChoiceInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var results = new float[inputs.Count][];
        foreach (var group in inputs.Select((input, index) => (input, index)).GroupBy(x => x.input.RowCount))
        {
            var members = group.ToList();
            int choices = group.Key;
            float[] logits = Run(
                RowsOf(members.Select(m => m.input)),
                (output, _) => ToArray(output.Logits),
                t => new AlbertInputs
                {
                    // [B·C, S] → B prompts with C choices each: [B, C, S].
                    InputIds = t.InputIds!.view(members.Count, choices, -1),
                    AttentionMask = t.AttentionMask!.view(members.Count, choices, -1),
                    TokenTypeIds = t.TokenTypeIds!.view(members.Count, choices, -1),
                });
            for (int m = 0; m < members.Count; m++)
            {
                results[members[m].index] = logits.AsSpan(m * choices, choices).ToArray();
            }
        }

        return results;
    }

    /// <summary>Postprocess stage: softmax over one prompt's choices.</summary>
    /// <param name="input">The preprocessed prompt.</param>
    /// <param name="logits">Its output from <see cref="Forward"/>.</param>
    /// <returns>A score per choice, in the choices' order.</returns>
    public IReadOnlyList<ChoiceScore> Postprocess(MultipleChoiceInput input, float[] logits)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(logits);
        float[] scores = ScoreMath.Softmax(logits);
        return [.. input.Choices.Select((c, i) => new ChoiceScore(i, c, scores[i]))];
    }
}
