using System.Text.Json;

namespace AlbertGen.Cluster.Jobs;

/// <summary>
/// The file <c>.albertgen-job.json</c> in an output folder that names the job whose parts it receives, created before
/// the job is submitted and never replaced: a resubmission of the same job finds its own id and goes on, any other job
/// is refused, so two jobs never mix their parts in one folder (whatever cluster or Redis they ran on).
/// </summary>
public static class OutputFolderClaim
{
    /// <summary>The claim's file name.</summary>
    public const string FileName = ".albertgen-job.json";

    /// <summary>Claims the spec's output folder for its job, or confirms the job's own claim.</summary>
    /// <exception cref="ArgumentException">The folder belongs to another job, or holds parts of no job.</exception>
    public static void Claim(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string folder = spec.OutputDirectory;
        string path = Path.Combine(folder, FileName);
        string id = spec.JobId();
        var mine = new Record(id, spec.InputPath, Batch.JsonlTaskSettings.FromJson(spec.TaskSettingsJson).TaskName, spec.Model.ToString(), DateTime.UtcNow);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(folder);
            if (Directory.EnumerateFiles(folder, "part-*.jsonl").Any())
            {
                throw new ArgumentException($"--output {folder} holds part files but no {FileName}; a job writes only into an empty folder or its own. Choose another --output.");
            }

            // Written aside and linked in without replacing, so of two clients claiming at once exactly one wins.
            string temporary = Path.Combine(folder, $"{FileName}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
            try
            {
                File.WriteAllText(temporary, JsonSerializer.Serialize(mine));
                File.Move(temporary, path, overwrite: false);
                return;
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another client claimed it first; check whose job it is below.
            }
            finally
            {
                File.Delete(temporary);
            }
        }

        Record? owner;
        try
        {
            owner = JsonSerializer.Deserialize<Record>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{path}: not a job claim ({e.Message}); choose another --output.", e);
        }

        if (owner?.JobId != id)
        {
            throw new ArgumentException(
                $"--output {folder} belongs to job {owner?.JobId} ({owner?.Task} of {owner?.Input} with {owner?.Model}, claimed {owner?.Claimed:yyyy-MM-dd HH:mm:ss}Z); "
                + "this command is other work (input, task options, model or output differ). Choose another --output, or run that job's command to attach to it.");
        }
    }

    /// <summary>What the claim file holds.</summary>
    private sealed record Record(string JobId, string Input, string Task, string Model, DateTime Claimed);
}
