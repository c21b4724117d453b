using AlbertGen.Tasks;
using AlbertGen.Tokenization;

namespace AlbertGen.Batch;

/// <summary>
/// The input problems the pipelines refuse, checked for every line of a JSON-lines input (<c>--input-jsonl</c>, a cluster
/// shard) before the model runs on any, so a bad line fails the run before any result is written. Each returns the
/// problem, or null.
/// </summary>
public static class JsonlChecks
{
    /// <summary>With truncation off, an input longer than the model takes (the pipelines' length check).</summary>
    public static string? Length<TModel, TOutput>(AlbertPipeline<TModel, TOutput> pipeline, string text, string? pair = null)
        where TModel : Modeling.AlbertPreTrainedModel<TOutput>
        where TOutput : Modeling.AlbertOutput
    {
        if (pipeline.Options.Truncation)
        {
            return null;
        }

        int tokens = pipeline.Tokenizer.Encode(text, pair).Length;
        return tokens > pipeline.MaxLength
            ? $"the input has {tokens} tokens; the model takes at most {pipeline.MaxLength}. Shorten it or drop --no-truncation."
            : null;
    }

    /// <summary>Fill-mask: the input (as the pipeline truncates it) must keep a <c>[MASK]</c>.</summary>
    public static string? Mask(FillMaskPipeline pipeline, string text)
    {
        if (Length(pipeline, text) is { } tooLong)
        {
            return tooLong;
        }

        var options = new AlbertEncodeOptions
        {
            Truncation = pipeline.Options.Truncation ? TruncationStrategy.LongestFirst : TruncationStrategy.None,
            MaxLength = pipeline.MaxLength,
        };
        return pipeline.Tokenizer.Encode(text, options).InputIds.Contains(pipeline.Tokenizer.MaskTokenId)
            ? null
            : $"the text has no {AlbertTokenizer.MaskToken} token{(pipeline.Options.Truncation ? $" (after truncation to {pipeline.MaxLength} tokens)" : "")}; fill-mask needs at least one.";
    }

    /// <summary>Question answering: neither the question nor the context may be empty.</summary>
    public static string? QuestionAndContext(string question, string context) =>
        question.Trim().Length == 0 ? "\"question\" is empty." : context.Trim().Length == 0 ? "\"context\" is empty." : null;

    /// <summary>Multiple choice: at least one choice, each within the model's length.</summary>
    public static string? Choices(MultipleChoicePipeline pipeline, string prompt, IReadOnlyList<string> choices) => choices.Count == 0
        ? "\"choices\" is empty; give at least one."
        : choices.Select(c => Length(pipeline, prompt, c)).FirstOrDefault(p => p is not null);
}
