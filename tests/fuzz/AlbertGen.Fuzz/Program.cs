using AlbertGen.Fuzz;
using AlbertGen.Tokenization;

// AlbertGen.Fuzz <target>                      run under afl-fuzz (SharpFuzz's fork-server loop); once on stdin otherwise
// AlbertGen.Fuzz replay <target> <path>...     run files (or every file of folders) through a target, print findings
// AlbertGen.Fuzz seeds <folder>                write the generated seed inputs into <folder>/<target>/
// AlbertGen.Fuzz targets                       print the target names, one a line (what the AFL++ smoke test starts)
// The tokenizer target loads ALBERTGEN_SPIECE, else shared/fixtures/tokenizer/spiece.model found above this program.
if (args.Length == 0)
{
    Console.Error.WriteLine($"usage: AlbertGen.Fuzz <{string.Join("|", FuzzTargetNames.All)}> | replay <target> <path>... | seeds <folder> | targets");
    return 2;
}

if (args[0] == "targets")
{
    Console.WriteLine(string.Join('\n', FuzzTargetNames.All));
    return 0;
}

if (args[0] == "seeds" && args.Length == 2)
{
    Seeds.Write(args[1]);
    return 0;
}

bool replay = args[0] == "replay";
string target = replay ? (args.Length > 2 ? args[1] : "") : args[0];
if (!FuzzTargetNames.All.Contains(target))
{
    Console.Error.WriteLine($"unknown target '{target}'; targets: {string.Join(", ", FuzzTargetNames.All)}");
    return 2;
}

// Created on first use inside the fuzzing loop: instrumented code must not run before SharpFuzz has set up AFL's
// coverage map (it would write through a null pointer).
AlbertTokenizer? tokenizer = null;
AlbertTokenizer? Tokenizer() => target == FuzzTargetNames.Tokenizer ? tokenizer ??= AlbertTokenizer.FromFile(FindSpiece()) : null;
string scratch = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"albertgen-fuzz-{Environment.ProcessId}.safetensors");
try
{
    if (!replay)
    {
        SharpFuzz.Fuzzer.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            FuzzTargets.Run(target, buffer.GetBuffer().AsSpan(0, (int)buffer.Length), Tokenizer(), scratch);
        });
        return 0;
    }

    int findings = 0, count = 0;
    foreach (string file in args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]))
    {
        count++;
        try
        {
            FuzzTargets.Run(target, File.ReadAllBytes(file), Tokenizer(), scratch);
        }
        catch (Exception e)
        {
            findings++;
            Console.WriteLine($"FINDING {file}: {e.GetType().Name}: {e.Message}");
            Console.WriteLine(e.StackTrace);
        }
    }

    Console.WriteLine($"{count} input(s), {findings} finding(s)");
    return findings == 0 ? 0 : 1;
}
finally
{
    File.Delete(scratch);
}

static string FindSpiece()
{
    if (Environment.GetEnvironmentVariable("ALBERTGEN_SPIECE") is { Length: > 0 } set)
    {
        return set;
    }

    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        string candidate = Path.Combine(dir.FullName, "shared", "fixtures", "tokenizer", "spiece.model");
        if (File.Exists(candidate))
        {
            return candidate;
        }
    }

    throw new FileNotFoundException("spiece.model not found: set ALBERTGEN_SPIECE.");
}
