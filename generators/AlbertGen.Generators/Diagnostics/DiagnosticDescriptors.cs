using System.Collections.Generic;
using AlbertGen.Configuration;
using Microsoft.CodeAnalysis;

namespace AlbertGen.Generators.Diagnostics
{
    /// <summary>
    /// Every diagnostic the generator reports, one descriptor per stable id. The ids are
    /// <see cref="ConfigProblemIds"/>, shared with the runtime, so a build error and a run-time error about the same
    /// config carry the same id. Config problems take their message from the shared config reader ("{0}"), which says
    /// what is wrong and what to change; the generator's own problems format theirs here.
    /// </summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "AlbertGen";

        public static readonly DiagnosticDescriptor ConfigFileNotFound = Error(ConfigProblemIds.FileNotFound,
            "ALBERT config file not found",
            "The config file '{0}' is not an AdditionalFiles item of this project (looked for {1}); add <AdditionalFiles Include=\"{0}\" /> to the project file, or fix the path (it is relative to the declaring file's folder or the project folder)");

        public static readonly DiagnosticDescriptor InvalidJson = Error(ConfigProblemIds.InvalidJson, "config.json is not valid JSON", "{0}");
        public static readonly DiagnosticDescriptor WrongModelType = Error(ConfigProblemIds.WrongModelType, "config.json is not an ALBERT config", "{0}");
        public static readonly DiagnosticDescriptor WrongType = Error(ConfigProblemIds.WrongType, "A config field has the wrong JSON type", "{0}");
        public static readonly DiagnosticDescriptor NonPositiveSize = Error(ConfigProblemIds.NonPositiveSize, "A size in the config is not positive", "{0}");
        public static readonly DiagnosticDescriptor HeadsDoNotDivideHidden = Error(ConfigProblemIds.HeadsDoNotDivideHidden, "hidden_size is not a multiple of num_attention_heads", "{0}");
        public static readonly DiagnosticDescriptor GroupsDoNotDivideLayers = Error(ConfigProblemIds.GroupsDoNotDivideLayers, "num_hidden_layers is not a multiple of num_hidden_groups", "{0}");
        public static readonly DiagnosticDescriptor UnsupportedActivation = Error(ConfigProblemIds.UnsupportedActivation, "Unsupported hidden_act", "{0}");
        public static readonly DiagnosticDescriptor UnsupportedPositionEmbedding = Error(ConfigProblemIds.UnsupportedPositionEmbedding, "Unsupported position_embedding_type", "{0}");
        public static readonly DiagnosticDescriptor HeadNotSupported = Error(ConfigProblemIds.HeadNotSupported, "A declared head cannot work with this config", "{0}");
        public static readonly DiagnosticDescriptor InconsistentLabels = Error(ConfigProblemIds.InconsistentLabels, "The config's labels are inconsistent", "{0}");
        public static readonly DiagnosticDescriptor HeadNotInArchitectures = Warning(ConfigProblemIds.HeadNotInArchitectures, "A declared head has no weights in the checkpoint", "{0}");
        public static readonly DiagnosticDescriptor ValueOutOfRange = Error(ConfigProblemIds.ValueOutOfRange, "A config value is out of range", "{0}");
        public static readonly DiagnosticDescriptor UnsupportedProblemType = Error(ConfigProblemIds.UnsupportedProblemType, "Unsupported problem_type", "{0}");
        public static readonly DiagnosticDescriptor DuplicateKey = Warning(ConfigProblemIds.DuplicateKey, "Duplicate key in config.json", "{0}");
        public static readonly DiagnosticDescriptor UnknownKey = Warning(ConfigProblemIds.UnknownKey, "Unknown key in config.json", "{0}");

        public static readonly DiagnosticDescriptor InvalidDeclaration = Error(ConfigProblemIds.InvalidDeclaration, "Invalid [AlbertModel] declaration", "{0}");

        public static readonly DiagnosticDescriptor GeneratorFailure = Error(ConfigProblemIds.GeneratorFailure,
            "The AlbertGen generator failed",
            "AlbertGen's generator failed on this declaration and generated nothing ({0}); please report this with the config file");

        private static readonly Dictionary<string, DiagnosticDescriptor> ById = Index(
            ConfigFileNotFound, InvalidJson, WrongModelType, WrongType, NonPositiveSize, HeadsDoNotDivideHidden,
            GroupsDoNotDivideLayers, UnsupportedActivation, UnsupportedPositionEmbedding, HeadNotSupported,
            InconsistentLabels, HeadNotInArchitectures, ValueOutOfRange, UnsupportedProblemType, DuplicateKey,
            UnknownKey, InvalidDeclaration, GeneratorFailure);

        /// <summary>All descriptors, in id order.</summary>
        public static IEnumerable<DiagnosticDescriptor> All => ById.Values;

        /// <summary>The descriptor of an id; unknown ids (a bug) map to <see cref="GeneratorFailure"/>.</summary>
        public static DiagnosticDescriptor Get(string id) => ById.TryGetValue(id, out DiagnosticDescriptor? d) ? d : GeneratorFailure;

        private static DiagnosticDescriptor Error(string id, string title, string message) =>
            new DiagnosticDescriptor(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        private static DiagnosticDescriptor Warning(string id, string title, string message) =>
            new DiagnosticDescriptor(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        private static Dictionary<string, DiagnosticDescriptor> Index(params DiagnosticDescriptor[] descriptors)
        {
            var index = new Dictionary<string, DiagnosticDescriptor>();
            foreach (DiagnosticDescriptor d in descriptors)
            {
                index.Add(d.Id, d);
            }

            return index;
        }
    }
}
