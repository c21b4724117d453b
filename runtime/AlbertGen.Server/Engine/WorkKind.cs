using AlbertGen.Tasks;

namespace AlbertGen.Server.Engine;

/// <summary>
/// How a group of items runs through the library, as one call of a pipeline's batch method. Two items may share a batch
/// exactly when their kinds are equal (same pipeline, same parameters). Each pipeline call returns per-input results that
/// do not depend on the other inputs of the call (padding is masked out), so batching never changes an answer beyond
/// float rounding.
/// </summary>
internal abstract record WorkKind
{
    /// <summary>Runs the inputs in one call and returns one result per input, in order.</summary>
    public abstract IReadOnlyList<object> Run(IReadOnlyList<object> inputs);
}

/// <summary>Sentence embeddings; inputs are texts, results <c>float[]</c>.</summary>
internal sealed record EmbedWork(SentenceEmbeddingGenerator Pipeline) : WorkKind
{
    public override IReadOnlyList<object> Run(IReadOnlyList<object> inputs) => Pipeline.Embed([.. inputs.Cast<string>()]);
}

/// <summary>Sequence classification with all labels, best first; inputs are (text, pair) tuples.</summary>
internal sealed record ClassifyWork(TextClassificationPipeline<string> Pipeline, ClassificationFunction Function) : WorkKind
{
    public override IReadOnlyList<object> Run(IReadOnlyList<object> inputs) =>
        Pipeline.ClassifyBatch([.. inputs.Cast<(string, string?)>()], topK: null, Function);
}

/// <summary>Fill-mask with one top-k and target list; inputs are texts.</summary>
internal sealed record FillMaskWork(FillMaskPipeline Pipeline, int TopK, IReadOnlyList<string>? Targets) : WorkKind
{
    public override IReadOnlyList<object> Run(IReadOnlyList<object> inputs) =>
        Pipeline.PredictBatch([.. inputs.Cast<string>()], TopK, Targets);

    public bool Equals(FillMaskWork? other) =>
        other is not null && ReferenceEquals(Pipeline, other.Pipeline) && TopK == other.TopK
        && (Targets ?? []).SequenceEqual(other.Targets ?? [], StringComparer.Ordinal) && (Targets is null) == (other.Targets is null);

    public override int GetHashCode() => HashCode.Combine(Pipeline, TopK, Targets?.Count ?? -1);
}

/// <summary>Token classification with one aggregation strategy; inputs are texts.</summary>
internal sealed record TokenClassificationWork(TokenClassificationPipeline Pipeline, AggregationStrategy Strategy) : WorkKind
{
    public override IReadOnlyList<object> Run(IReadOnlyList<object> inputs) =>
        Pipeline.PredictBatch([.. inputs.Cast<string>()], Strategy);
}

/// <summary>Question answering with one set of options; inputs are (question, context) tuples.</summary>
internal sealed record QuestionAnsweringWork(QuestionAnsweringPipeline Pipeline, QuestionAnsweringOptions Options) : WorkKind
{
    public override IReadOnlyList<object> Run(IReadOnlyList<object> inputs) =>
        Pipeline.AnswerBatch([.. inputs.Cast<(string, string)>()], Options);
}

/// <summary>Multiple choice; inputs are (prompt, choices) tuples.</summary>
internal sealed record MultipleChoiceWork(MultipleChoicePipeline Pipeline) : WorkKind
{
    public override IReadOnlyList<object> Run(IReadOnlyList<object> inputs) =>
        Pipeline.ChooseBatch([.. inputs.Cast<(string, IReadOnlyList<string>)>()]);
}
