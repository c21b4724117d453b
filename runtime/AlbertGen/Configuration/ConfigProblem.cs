// Shared source: compiled into the runtime and into the source generator.
namespace AlbertGen.Configuration
{
    /// <summary>
    /// One thing wrong (or doubtful) in a <c>config.json</c>: a stable <c>ALBG</c> id (the generator reports it
    /// as a diagnostic, the runtime puts it in <see cref="AlbertConfigException"/>), a message that says what to
    /// change, the JSON field it concerns and where it is in the file.
    /// </summary>
#if ALBERTGEN_GENERATOR
    internal
#else
    public
#endif
    sealed class ConfigProblem : System.IEquatable<ConfigProblem>
    {
        /// <summary>Creates a problem.</summary>
        public ConfigProblem(string id, bool isError, string message, string? field, TextPosition position)
        {
            Id = id ?? throw new System.ArgumentNullException(nameof(id));
            IsError = isError;
            Message = message ?? throw new System.ArgumentNullException(nameof(message));
            Field = field;
            Position = position;
        }

        /// <summary>The stable id, one of <see cref="ConfigProblemIds"/>.</summary>
        public string Id { get; }

        /// <summary>Errors make the config unusable; warnings do not.</summary>
        public bool IsError { get; }

        /// <summary>What is wrong and what to change.</summary>
        public string Message { get; }

        /// <summary>The JSON field concerned, if any.</summary>
        public string? Field { get; }

        /// <summary>Where in the file (the value of the field, or the whole document).</summary>
        public TextPosition Position { get; }

        /// <inheritdoc />
        public bool Equals(ConfigProblem? other) =>
            other is not null && Id == other.Id && IsError == other.IsError && Message == other.Message
            && Field == other.Field && Position.Equals(other.Position);

        /// <inheritdoc />
        public override bool Equals(object? obj) => Equals(obj as ConfigProblem);

        /// <inheritdoc />
        public override int GetHashCode() => (Id.GetHashCode() * 397) ^ Message.GetHashCode();

        /// <summary>"ALBGnnn (line:column): message".</summary>
        public override string ToString() => Id + " (" + Position + "): " + Message;
    }

    /// <summary>
    /// The stable ids of config problems. The generator's diagnostic descriptors use the same ids, so a build
    /// error and a run-time error about the same config carry the same id.
    /// </summary>
#if ALBERTGEN_GENERATOR
    internal
#else
    public
#endif
    static class ConfigProblemIds
    {
        /// <summary>The config file is missing (for the generator: not an AdditionalFiles item).</summary>
        public const string FileNotFound = "ALBG001";
        /// <summary>The file is not valid JSON, or its top level is not an object.</summary>
        public const string InvalidJson = "ALBG002";
        /// <summary><c>model_type</c> is present and is not <c>albert</c>.</summary>
        public const string WrongModelType = "ALBG003";
        /// <summary>A field has the wrong JSON type (e.g. a string where an integer is expected).</summary>
        public const string WrongType = "ALBG004";
        /// <summary>A size or count is zero or negative.</summary>
        public const string NonPositiveSize = "ALBG005";
        /// <summary><c>hidden_size</c> is not a multiple of <c>num_attention_heads</c>.</summary>
        public const string HeadsDoNotDivideHidden = "ALBG006";
        /// <summary><c>num_hidden_layers</c> is not a multiple of <c>num_hidden_groups</c>.</summary>
        public const string GroupsDoNotDivideLayers = "ALBG007";
        /// <summary><c>hidden_act</c> names an activation the runtime does not implement.</summary>
        public const string UnsupportedActivation = "ALBG008";
        /// <summary><c>position_embedding_type</c> is not one the runtime implements.</summary>
        public const string UnsupportedPositionEmbedding = "ALBG009";
        /// <summary>A declared head cannot work with this config (e.g. question answering with num_labels ≠ 2).</summary>
        public const string HeadNotSupported = "ALBG010";
        /// <summary><c>id2label</c>, <c>label2id</c> and <c>num_labels</c> disagree, or a label id is malformed.</summary>
        public const string InconsistentLabels = "ALBG011";
        /// <summary>A declared head has no weights in the checkpoint the config's <c>architectures</c> describes (warning).</summary>
        public const string HeadNotInArchitectures = "ALBG012";
        /// <summary>A value is outside its valid range (a probability outside [0, 1], a token id outside the vocabulary…).</summary>
        public const string ValueOutOfRange = "ALBG013";
        /// <summary><c>problem_type</c> is not one of HuggingFace's values.</summary>
        public const string UnsupportedProblemType = "ALBG014";
        /// <summary>A key appears twice in an object (warning: the last one wins, as in Python).</summary>
        public const string DuplicateKey = "ALBG015";
        /// <summary>A key that neither ALBERT nor HuggingFace's common config fields know (warning: probably a typo).</summary>
        public const string UnknownKey = "ALBG016";
        /// <summary>The <c>[AlbertModel]</c> attribute is misused (generator only).</summary>
        public const string InvalidDeclaration = "ALBG017";
        /// <summary>The generator failed unexpectedly on a declaration (generator only; a bug to report, never a crash).</summary>
        public const string GeneratorFailure = "ALBG018";
    }
}
