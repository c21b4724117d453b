namespace AlbertGen;

/// <summary>
/// Compiles an ALBERT model for a HuggingFace <c>config.json</c>: on a <c>static partial class</c>, the AlbertGen
/// source generator adds the config's dimensions as constants, the typed <c>Config</c>, the headless <c>Encoder</c>
/// and one nested model type per head (<c>ForMaskedLM</c>, <c>ForSequenceClassification</c>, …).
/// </summary>
/// <example>
/// <code>
/// [AlbertModel("config.json", Heads = AlbertHeads.MaskedLM)]
/// public static partial class MyAlbert;
///
/// using var model = MyAlbert.ForMaskedLM.FromPretrained("path/to/checkpoint");
/// </code>
/// </example>
/// <remarks>
/// The config file must be an <c>AdditionalFiles</c> item of the project (<c>&lt;AdditionalFiles Include="config.json" /&gt;</c>).
/// Problems are build errors and warnings with stable ids (<c>ALBG001</c>…).
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class AlbertModelAttribute : Attribute
{
    /// <summary>Declares a typed model for a config file.</summary>
    /// <param name="configPath">
    /// The <c>config.json</c>, relative to the folder of the file holding the attribute or to the project folder
    /// (or absolute); it must also be an <c>AdditionalFiles</c> item, and its name must end in <c>.json</c>.
    /// </param>
    public AlbertModelAttribute(string configPath)
    {
        ArgumentNullException.ThrowIfNull(configPath);
        ConfigPath = configPath;
    }

    /// <summary>The config file, as given to the constructor.</summary>
    public string ConfigPath { get; }

    /// <summary>
    /// The heads to generate. When not set, the heads whose weights the config's <c>architectures</c> names
    /// (<c>AlbertForMaskedLM</c> → <see cref="AlbertHeads.MaskedLM"/>, …); <see cref="AlbertHeads.None"/> means the
    /// encoder only. A declared head the checkpoint has no weights for is warning ALBG012.
    /// </summary>
    public AlbertHeads Heads { get; set; }
}
