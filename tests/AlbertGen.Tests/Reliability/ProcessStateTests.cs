using System.Collections;
using System.Globalization;
using AlbertGen.Inference;
using AlbertGen.Modeling;
using AlbertGen.Tokenization;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Reliability;

/// <summary>
/// Library calls change no process-wide state: torch's thread counts, grad mode and default dtype, the current culture,
/// environment variables, the current directory and the console writers are as they were.
/// </summary>
public sealed class ProcessStateTests
{
    private static string Snapshot()
    {
        var env = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}").Order(StringComparer.Ordinal);
        return string.Join("\n",
        [
            $"threads {get_num_threads()} interop {get_num_interop_threads()}",
            $"grad {is_grad_enabled()} dtype {get_default_dtype()}",
            $"culture {CultureInfo.CurrentCulture.Name} ui {CultureInfo.CurrentUICulture.Name} default {CultureInfo.DefaultThreadCurrentCulture?.Name}",
            $"cwd {Environment.CurrentDirectory}",
            $"console {Console.Out.GetHashCode()} {Console.Error.GetHashCode()}",
            .. env,
        ]);
    }

    [Fact]
    public void Loading_encoding_and_running_a_model_leave_process_state_alone()
    {
        string before = Snapshot();

        AlbertConfig config = AlbertConfigReader.ReadFile(SharedFolder.Model("tiny"));
        AlbertTokenizer tokenizer = AlbertTokenizer.FromFile(Path.Combine(SharedFolder.Tokenizer, "spiece.model"), AlbertTokenizerOptions.ForConfig(config));
        using (AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny")))
        using (AlbertInputTensors inputs = tokenizer.EncodeBatch(["a [MASK] b", "c"], new AlbertEncodeOptions { Padding = PaddingStrategy.Longest }).ToTensors())
        using (MaskedLMOutput output = model.forward(new AlbertInputs { InputIds = inputs.InputIds, AttentionMask = inputs.AttentionMask }))
        {
            Assert.Equal(3, (int)output.Logits.dim());
        }

        using (AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny")))
        using (InferenceSession<MaskedLMOutput> session = model.CompileForInference())
        using (AlbertInputTensors inputs = tokenizer.EncodeBatch(["a [MASK] b", "c"], new AlbertEncodeOptions { Padding = PaddingStrategy.Longest }).ToTensors())
        using (MaskedLMOutput output = session.Run(new AlbertInputs { InputIds = inputs.InputIds, AttentionMask = inputs.AttentionMask }))
        {
            Assert.Equal(3, (int)output.Logits.dim());
        }

        _ = tokenizer.Decode(tokenizer.EncodeToIds("Hello, world."));

        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void The_library_sets_no_OpenMP_variable_by_itself()
    {
        // The process's initial environment (before any managed code ran) tells whether the variable was inherited.
        bool inherited = File.ReadAllText("/proc/self/environ").Split('\0').Any(v => v.StartsWith("GOMP_SPINCOUNT=", StringComparison.Ordinal));
        using (AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Model("tiny")))
        using (InferenceSession<AlbertModelOutput> session = model.CompileForInference())
        using (AlbertModelOutput output = session.Run(new AlbertInputs { InputIds = tensor(new long[,] { { 2, 10, 3 } }) }))
        {
            Assert.Equal(2, (int)output.PoolerOutput!.dim());
        }

        Assert.Equal(inherited, Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is not null);
    }
}
