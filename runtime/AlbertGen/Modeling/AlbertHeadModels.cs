using AlbertGen.Checkpoints;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// The runtime side of <see cref="AlbertHeadRegistry"/>: for each entry, its model type, how to load it, and its
/// outputs in the order of <see cref="AlbertHeadInfo.Outputs"/>. The registry itself is shared with the source
/// generator, which cannot see these types.
/// </summary>
internal static class AlbertHeadModels
{
    /// <summary>One bound entry.</summary>
    internal sealed class Binding
    {
        private readonly Func<string, LoadOptions?, AlbertInputs, (AlbertOutput Output, Tensor?[] Values)> _run;

        public Binding(AlbertHeadInfo info, Type modelType, Func<string, LoadOptions?, AlbertInputs, (AlbertOutput, Tensor?[])> run)
        {
            Info = info;
            ModelType = modelType;
            _run = run;
        }

        public AlbertHeadInfo Info { get; }

        /// <summary>The runtime module type; its name is <see cref="AlbertHeadInfo.HuggingFaceName"/>.</summary>
        public Type ModelType { get; }

        /// <summary>
        /// Loads the model from <paramref name="directory"/>, runs it once and disposes it. The outputs are named as
        /// HuggingFace names them (absent ones left out), then <c>hidden_states.{k}</c> and <c>attentions.{k}</c>;
        /// they belong to the caller's dispose scope.
        /// </summary>
        public Dictionary<string, Tensor> Forward(string directory, AlbertInputs inputs, LoadOptions? options = null)
        {
            (AlbertOutput output, Tensor?[] values) = _run(directory, options, inputs);
            var named = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] is { } tensor)
                {
                    named[Info.Outputs[i]] = tensor;
                }
            }

            AddList(named, "hidden_states", output.HiddenStates);
            AddList(named, "attentions", output.Attentions);
            return named;
        }
    }

    /// <summary>Every entry of the registry, bound, in its order.</summary>
    public static readonly IReadOnlyList<Binding> All =
    [
        Bind<AlbertModel, AlbertModelOutput>(AlbertHeads.None, AlbertModel.FromPretrained, o => [o.LastHiddenState, o.PoolerOutput]),
        Bind<AlbertForPreTraining, AlbertForPreTrainingOutput>(AlbertHeads.PreTraining, AlbertForPreTraining.FromPretrained, o => [o.Loss, o.PredictionLogits, o.SopLogits]),
        Bind<AlbertForMaskedLM, MaskedLMOutput>(AlbertHeads.MaskedLM, AlbertForMaskedLM.FromPretrained, o => [o.Loss, o.Logits]),
        Bind<AlbertForSequenceClassification, SequenceClassifierOutput>(AlbertHeads.SequenceClassification, AlbertForSequenceClassification.FromPretrained, o => [o.Loss, o.Logits]),
        Bind<AlbertForTokenClassification, TokenClassifierOutput>(AlbertHeads.TokenClassification, AlbertForTokenClassification.FromPretrained, o => [o.Loss, o.Logits]),
        Bind<AlbertForQuestionAnswering, QuestionAnsweringOutput>(AlbertHeads.QuestionAnswering, AlbertForQuestionAnswering.FromPretrained, o => [o.Loss, o.StartLogits, o.EndLogits]),
        Bind<AlbertForMultipleChoice, MultipleChoiceOutput>(AlbertHeads.MultipleChoice, AlbertForMultipleChoice.FromPretrained, o => [o.Loss, o.Logits]),
    ];

    /// <summary>The binding of a <c>--task</c> name.</summary>
    /// <exception cref="ArgumentException"><paramref name="task"/> is not a task name.</exception>
    public static Binding ForTask(string task) =>
        All.FirstOrDefault(b => b.Info.Task == task)
        ?? throw new ArgumentException($"--task {task} is not one of {string.Join(", ", AlbertHeadRegistry.Tasks)}.", nameof(task));

    private static Binding Bind<TModel, TOutput>(AlbertHeads head, Func<string, LoadOptions?, TModel> load, Func<TOutput, Tensor?[]> outputs)
        where TModel : AlbertPreTrainedModel<TOutput>
        where TOutput : AlbertOutput
    {
        AlbertHeadInfo info = AlbertHeadRegistry.Of(head);
        return new Binding(info, typeof(TModel), (directory, options, inputs) =>
        {
            using TModel model = load(directory, options);
            TOutput output = model.forward(inputs);
            return (output, outputs(output));
        });
    }

    private static void AddList(Dictionary<string, Tensor> result, string prefix, IReadOnlyList<Tensor>? tensors)
    {
        for (int k = 0; tensors is not null && k < tensors.Count; k++)
        {
            result[$"{prefix}.{k}"] = tensors[k];
        }
    }
}
