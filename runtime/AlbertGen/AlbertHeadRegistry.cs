// Shared source: compiled into the runtime and into the source generator, so that the generator's nested types,
// the config reader's architectures, the checkpoint loader, the command line and training agree on every head.
using System;
using System.Collections.Generic;
using System.Linq;

namespace AlbertGen
{
    /// <summary>Everything AlbertGen knows about one ALBERT model class: the bare encoder or one task head.</summary>
    internal sealed class AlbertHeadInfo
    {
        public AlbertHeadInfo(AlbertHeads head, string huggingFaceName, AlbertHeads provides, string typeName, string task, string? pipeline,
            string[] checkpointRoots, string[] outputs, bool usesLabels, string description)
        {
            Head = head;
            HuggingFaceName = huggingFaceName;
            Provides = provides;
            TypeName = typeName;
            Task = task;
            Pipeline = pipeline;
            CheckpointRoots = checkpointRoots;
            Outputs = outputs;
            UsesLabels = usesLabels;
            Description = description;
        }

        /// <summary>The head's flag; <see cref="AlbertHeads.None"/> for the bare encoder.</summary>
        public AlbertHeads Head { get; }

        /// <summary>HuggingFace's class name, which is also the runtime type in <c>AlbertGen.Modeling</c> and the name in <c>architectures</c>.</summary>
        public string HuggingFaceName { get; }

        /// <summary>The heads whose weights a checkpoint saved from this class holds (a pre-training checkpoint carries the MLM head too).</summary>
        public AlbertHeads Provides { get; }

        /// <summary>The nested type a typed model declares for it (<c>ForMaskedLM</c>, <c>Encoder</c>).</summary>
        public string TypeName { get; }

        /// <summary>Its <c>--task</c> name on the command line (<c>masked-lm</c>).</summary>
        public string Task { get; }

        /// <summary>The task pipeline (and CLI command) that serves it, or <see langword="null"/> when none does.</summary>
        public string? Pipeline { get; }

        /// <summary>The head's top-level modules in a checkpoint (<c>predictions.</c>); empty for the encoder.</summary>
        public IReadOnlyList<string> CheckpointRoots { get; }

        /// <summary>Its outputs under HuggingFace's field names, in the order of HuggingFace's output class.</summary>
        public IReadOnlyList<string> Outputs { get; }

        /// <summary>Whether its shapes depend on <c>num_labels</c>.</summary>
        public bool UsesLabels { get; }

        /// <summary>What it is, as a sentence fragment for documentation.</summary>
        public string Description { get; }
    }

    /// <summary>The one table of ALBERT's model classes.</summary>
    internal static class AlbertHeadRegistry
    {
        /// <summary>The bare encoder first, then the heads in <see cref="AlbertHeads"/> order.</summary>
        public static readonly IReadOnlyList<AlbertHeadInfo> All = new[]
        {
            new AlbertHeadInfo(AlbertHeads.None, "AlbertModel", AlbertHeads.None, "Encoder", "base", "embed", new string[0],
                new[] { "last_hidden_state", "pooler_output" }, false, "The encoder alone, without a head"),
            new AlbertHeadInfo(AlbertHeads.PreTraining, "AlbertForPreTraining", AlbertHeads.PreTraining | AlbertHeads.MaskedLM, "ForPreTraining", "pretraining", null, new[] { "predictions.", "sop_classifier." },
                new[] { "loss", "prediction_logits", "sop_logits" }, false, "ALBERT with its pre-training heads: masked-LM and sentence-order prediction"),
            new AlbertHeadInfo(AlbertHeads.MaskedLM, "AlbertForMaskedLM", AlbertHeads.MaskedLM, "ForMaskedLM", "masked-lm", "fill-mask", new[] { "predictions." },
                new[] { "loss", "logits" }, false, "ALBERT with its masked-language-model head"),
            new AlbertHeadInfo(AlbertHeads.SequenceClassification, "AlbertForSequenceClassification", AlbertHeads.SequenceClassification, "ForSequenceClassification", "sequence-classification", "classify", new[] { "classifier." },
                new[] { "loss", "logits" }, true, "ALBERT with a classifier on the pooled first token"),
            new AlbertHeadInfo(AlbertHeads.TokenClassification, "AlbertForTokenClassification", AlbertHeads.TokenClassification, "ForTokenClassification", "token-classification", "tag", new[] { "classifier." },
                new[] { "loss", "logits" }, true, "ALBERT with a classifier on every token"),
            new AlbertHeadInfo(AlbertHeads.QuestionAnswering, "AlbertForQuestionAnswering", AlbertHeads.QuestionAnswering, "ForQuestionAnswering", "question-answering", "answer", new[] { "qa_outputs." },
                new[] { "loss", "start_logits", "end_logits" }, false, "ALBERT with a span head for extractive question answering"),
            new AlbertHeadInfo(AlbertHeads.MultipleChoice, "AlbertForMultipleChoice", AlbertHeads.MultipleChoice, "ForMultipleChoice", "multiple-choice", "choose", new[] { "classifier." },
                new[] { "loss", "logits" }, false, "ALBERT with a scorer for multiple choice"),
        };

        /// <summary>The entry of one flag (<see cref="AlbertHeads.None"/> is the encoder).</summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="head"/> is not a single head.</exception>
        public static AlbertHeadInfo Of(AlbertHeads head) =>
            All.FirstOrDefault(h => h.Head == head) ?? throw new ArgumentOutOfRangeException(nameof(head), head, "Not a single ALBERT head.");

        /// <summary>The entry of a HuggingFace class name, or <see langword="null"/> for a name that is not an ALBERT class.</summary>
        public static AlbertHeadInfo? FromHuggingFaceName(string name) => All.FirstOrDefault(h => h.HuggingFaceName == name);

        /// <summary>The entry of a <c>--task</c> name, or <see langword="null"/>.</summary>
        public static AlbertHeadInfo? FromTask(string task) => All.FirstOrDefault(h => h.Task == task);

        /// <summary>The <c>--task</c> names, in table order.</summary>
        public static IReadOnlyList<string> Tasks => All.Select(h => h.Task).ToArray();

        /// <summary>Whether a checkpoint key belongs to a head's modules rather than to the encoder.</summary>
        public static bool IsHeadKey(string key) =>
            All.Any(h => h.CheckpointRoots.Any(root => key.StartsWith(root, StringComparison.Ordinal)));
    }
}
