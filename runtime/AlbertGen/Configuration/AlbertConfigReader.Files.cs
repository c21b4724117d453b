// Runtime only: reading files and throwing are not allowed in the source generator.
#if !ALBERTGEN_GENERATOR
using System.Text;
using AlbertGen.Configuration;

namespace AlbertGen;

public static partial class AlbertConfigReader
{
    /// <summary>Largest config file read; real ones are about 1 KB.</summary>
    public const long MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>Reads and validates a <c>config.json</c> file (or the <c>config.json</c> inside a directory).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="AlbertConfigException">The file is not a valid ALBERT config; the message lists every error with its id and line.</exception>
    public static AlbertConfig ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string file = Directory.Exists(path) ? Path.Combine(path, "config.json") : path;
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"{file}: no such ALBERT config file ({ConfigProblemIds.FileNotFound}).", file);
        }

        long length = new FileInfo(file).Length;
        if (length > MaxFileBytes)
        {
            throw new AlbertConfigException(file, [new ConfigProblem(ConfigProblemIds.InvalidJson, true,
                $"the file is {length} bytes; a config.json is at most {MaxFileBytes} bytes.", null, default)]);
        }

        string json;
        try
        {
            json = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(file));
        }
        catch (DecoderFallbackException)
        {
            throw new AlbertConfigException(file, [new ConfigProblem(ConfigProblemIds.InvalidJson, true,
                "config.json is not valid UTF-8 text.", null, default)]);
        }

        return Parse(json, file);
    }

    /// <summary>Parses and validates config text, throwing when it has errors.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="path">The file name to use in messages.</param>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="AlbertConfigException">The text is not a valid ALBERT config.</exception>
    public static AlbertConfig Parse(string json, string path)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(path);
        ConfigParseResult result = Parse(json);
        return result.Config ?? throw new AlbertConfigException(path, result.Problems);
    }
}
#endif
