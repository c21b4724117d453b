using System.Security.Cryptography;
using System.Text;

namespace AlbertGen.Cluster.Workers;

/// <summary>
/// The SHA-256 that identifies a model's weights, tokenizer and config across machines: the model folder's
/// <c>*.json</c>, <c>*.model</c> and <c>*.safetensors</c> files, by name (ordinal order) and content.
/// </summary>
public static class ModelHash
{
    /// <summary>Hashes a model folder (hub cache snapshots' symbolic links are followed).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder has no <c>config.json</c>.</exception>
    public static string Compute(string directory)
    {
        if (!File.Exists(Path.Combine(directory, "config.json")))
        {
            throw new FileNotFoundException($"{directory}: no config.json; is this a model folder?", Path.Combine(directory, "config.json"));
        }

        string[] files = [.. Directory.EnumerateFiles(directory)
            .Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".model", StringComparison.Ordinal) || f.EndsWith(".safetensors", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[1 << 20];
        foreach (string file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
            using FileStream stream = File.OpenRead(file);
            hash.AppendData(BitConverter.GetBytes(stream.Length));
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
