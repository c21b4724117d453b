using System.Reflection;
using AlbertGen.Checkpoints;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// The runtime side of <see cref="AlbertHeadRegistry"/>: for each entry, its model type and how to load it; its outputs
/// are the output type's properties named by <see cref="AlbertHeadInfo.Outputs"/>, in that order. The registry itself is shared with the source
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

    /// <summary>Every entry of the registry, bound to its module, in its order.</summary>
    public static readonly IReadOnlyList<Binding> All =
    [
        Bind<AlbertModel, AlbertModelOutput>(AlbertHeads.None, AlbertModel.FromPretrained),
        Bind<AlbertForPreTraining, AlbertForPreTrainingOutput>(AlbertHeads.PreTraining, AlbertForPreTraining.FromPretrained),
        Bind<AlbertForMaskedLM, MaskedLMOutput>(AlbertHeads.MaskedLM, AlbertForMaskedLM.FromPretrained),
        Bind<AlbertForSequenceClassification, SequenceClassifierOutput>(AlbertHeads.SequenceClassification, AlbertForSequenceClassification.FromPretrained),
        Bind<AlbertForTokenClassification, TokenClassifierOutput>(AlbertHeads.TokenClassification, AlbertForTokenClassification.FromPretrained),
        Bind<AlbertForQuestionAnswering, QuestionAnsweringOutput>(AlbertHeads.QuestionAnswering, AlbertForQuestionAnswering.FromPretrained),
        Bind<AlbertForMultipleChoice, MultipleChoiceOutput>(AlbertHeads.MultipleChoice, AlbertForMultipleChoice.FromPretrained),
    ];

    /// <summary>The binding of a <c>--task</c> name.</summary>
    /// <exception cref="ArgumentException"><paramref name="task"/> is not a task name.</exception>
    public static Binding ForTask(string task) =>
        All.FirstOrDefault(b => b.Info.Task == task)
        ?? throw new ArgumentException($"--task {task} is not one of {string.Join(", ", AlbertHeadRegistry.Tasks)}.", nameof(task));

    private static Binding Bind<TModel, TOutput>(AlbertHeads head, Func<string, LoadOptions?, TModel> load)
        where TModel : AlbertPreTrainedModel<TOutput>
        where TOutput : AlbertOutput
    {
        AlbertHeadInfo info = AlbertHeadRegistry.Of(head);
        PropertyInfo[] fields = [.. info.Outputs.Select(OutputProperty<TOutput>)];
        return new Binding(info, typeof(TModel), (directory, options, inputs) =>
        {
            using TModel model = load(directory, options);
            TOutput output = model.forward(inputs);
            return (output, [.. fields.Select(field => (Tensor?)field.GetValue(output))]);
        });
    }

    /// <summary>
    /// The tensor property of <typeparamref name="TOutput"/> that holds HuggingFace's output <paramref name="name"/>:
    /// its name in PascalCase (<c>prediction_logits</c> is <c>PredictionLogits</c>).
    /// </summary>
    private static PropertyInfo OutputProperty<TOutput>(string name)
    {
        string property = string.Concat(name.Split('_').Select(word => char.ToUpperInvariant(word[0]) + word[1..]));
        return typeof(TOutput).GetProperty(property) is { PropertyType: var type } found && type == typeof(Tensor)
            ? found
            : throw new InvalidOperationException($"{typeof(TOutput).Name} has no Tensor property {property} for the registry's output '{name}'.");
    }

    private static void AddList(Dictionary<string, Tensor> result, string prefix, IReadOnlyList<Tensor>? tensors)
    {
        for (int k = 0; tensors is not null && k < tensors.Count; k++)
        {
            result[$"{prefix}.{k}"] = tensors[k];
        }
    }
}
