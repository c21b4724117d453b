using System.Collections.Concurrent;

namespace AlbertGen.Tests;

/// <summary>
/// Model directories a task pipeline can load: the fixture checkpoints have no tokenizer inside their folders, so each is
/// copied once per test run (config.json + model.safetensors) into a temp folder beside the fixture tokenizer's spiece.model.
/// </summary>
public static class TaskModelDirectory
{
    private static readonly ConcurrentDictionary<string, string> Made = new(StringComparer.Ordinal);
    private const string Prefix = "albertgen-task-models-";
    private static readonly string Root = Path.Combine(Path.GetTempPath(), Prefix + Environment.ProcessId);

    static TaskModelDirectory()
    {
        RemoveLeftovers();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        };
    }

    /// <summary>Removes the copies of earlier runs whose process is gone (a test host may end without running exit handlers).</summary>
    private static void RemoveLeftovers()
    {
        foreach (string dir in Directory.EnumerateDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            if (int.TryParse(Path.GetFileName(dir)[Prefix.Length..], out int pid) && pid != Environment.ProcessId && !IsRunning(pid))
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                    // Best effort.
                }
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The tiny pre-training checkpoint (masked LM and encoder).</summary>
    public static string Tiny => For("tiny");

    /// <summary>A head checkpoint of the tiny model: <c>seqcls-single3</c>, <c>seqcls-regression1</c>, <c>seqcls-multilabel4</c>, <c>tokcls5</c>, <c>qa</c>, <c>multiplechoice</c>.</summary>
    public static string Head(string head) => For(Path.Combine("tiny", "heads", head));

    /// <summary>A copy of <c>fixtures/models/{relative}</c> with the fixture tokenizer.</summary>
    public static string For(string relative) => Made.GetOrAdd(relative, static rel =>
    {
        string source = SharedFolder.Model(rel);
        string target = Path.Combine(Root, rel.Replace(Path.DirectorySeparatorChar, '_'));
        Directory.CreateDirectory(target);
        File.Copy(Path.Combine(source, "config.json"), Path.Combine(target, "config.json"), overwrite: true);
        File.Copy(Path.Combine(source, "model.safetensors"), Path.Combine(target, "model.safetensors"), overwrite: true);
        File.Copy(Path.Combine(SharedFolder.Tokenizer, "spiece.model"), Path.Combine(target, "spiece.model"), overwrite: true);
        return target;
    });
}
