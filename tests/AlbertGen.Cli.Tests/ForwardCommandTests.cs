using AlbertGen.Checkpoints;
using AlbertGen.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Cli.Tests;

/// <summary><c>albertgen forward</c> reproduces the golden outputs and fails cleanly on bad input.</summary>
public sealed class ForwardCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new("cli");

    /// <summary>Deletes the test's temporary files.</summary>
    public void Dispose() => _temp.Dispose();

    private static string Tiny => SharedFolder.Model("tiny");

    private static string Golden(string model, string name) => Path.Combine(SharedFolder.Model(model), "golden", name + ".safetensors");

    /// <summary>Writes the golden inputs (and optionally one golden label tensor as <c>labels</c>) to a file.</summary>
    private string InputsFrom(string goldenFile, string? labelsName = null, string prefix = "")
    {
        using var scope = NewDisposeScope();
        using SafetensorsFile golden = SafetensorsFile.Open(goldenFile);
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (string name in new[] { "input_ids", "attention_mask", "token_type_ids" })
        {
            if (golden.Tensors.ContainsKey(prefix + name))
            {
                tensors.Add(new(name, golden.ReadTensor(prefix + name)));
            }
        }

        if (labelsName is not null)
        {
            tensors.Add(new("labels", golden.ReadTensor(labelsName)));
        }

        string path = _temp.NewFile("inputs.safetensors");
        SafetensorsWriter.Write(path, tensors);
        return path;
    }

    private static void AssertClose(string goldenFile, string expectedName, string outputFile, string actualName)
    {
        using var scope = NewDisposeScope();
        using SafetensorsFile golden = SafetensorsFile.Open(goldenFile);
        using SafetensorsFile output = SafetensorsFile.Open(outputFile);
        Tensor expected = golden.ReadTensor(expectedName);
        Tensor actual = output.ReadTensor(actualName);
        if (expected.numel() == 1)
        {
            // The goldens store losses as [1]; HuggingFace (and we) return a 0-dimensional scalar.
            (expected, actual) = (expected.reshape(1), actual.reshape(1));
        }

        Assert.Equal(expected.shape, actual.shape);
        Tensor excess = (actual - expected).abs() - (1e-4 + 1e-4 * expected.abs());
        Assert.True(excess.max().item<float>() <= 0, $"{actualName}: worst excess over tolerance {excess.max().item<float>()}");
    }

    [Fact]
    public async Task Base_task_writes_hidden_states_and_pooler_matching_the_golden()
    {
        string golden = Golden("tiny", "batch_padded");
        string output = _temp.NewFile("out.safetensors");
        var (code, _, error) = await Cli.RunAsync("forward", "--model", Tiny, "--task", "base", "--inputs", InputsFrom(golden), "--output", output, "--hidden-states", "--attentions");
        Assert.True(code == 0, error);
        AssertClose(golden, "AlbertModel.last_hidden_state", output, "last_hidden_state");
        AssertClose(golden, "AlbertModel.pooler_output", output, "pooler_output");
        AssertClose(golden, "AlbertModel.hidden_states.3", output, "hidden_states.3");
        AssertClose(golden, "AlbertModel.attentions.2", output, "attentions.2");
    }

    [Fact]
    public async Task Masked_lm_task_writes_logits_and_loss()
    {
        string golden = Golden("tiny-groups", "batch_padded");
        string output = _temp.NewFile("out.safetensors");
        var (code, _, error) = await Cli.RunAsync("forward", "--model", SharedFolder.Model("tiny-groups"), "--task", "masked-lm", "--inputs", InputsFrom(golden, "labels.mlm"), "--output", output);
        Assert.True(code == 0, error);
        AssertClose(golden, "AlbertForPreTraining.prediction_logits", output, "logits");
        AssertClose(golden, "AlbertForMaskedLM.loss", output, "loss");
    }

    [Fact]
    public async Task Question_answering_task_writes_start_and_end_logits()
    {
        string golden = Golden("tiny", "no_mask");
        string output = _temp.NewFile("out.safetensors");
        var (code, _, error) = await Cli.RunAsync("forward", "--model", Path.Combine(Tiny, "heads", "qa"), "--task", "question-answering", "--inputs", InputsFrom(golden), "--output", output);
        Assert.True(code == 0, error);
        AssertClose(golden, "AlbertForQuestionAnswering.start_logits", output, "start_logits");
        AssertClose(golden, "AlbertForQuestionAnswering.end_logits", output, "end_logits");
    }

    [Fact]
    public async Task Multiple_choice_task_reads_three_dimensional_inputs()
    {
        string golden = Golden("tiny", "batch_padded");
        string output = _temp.NewFile("out.safetensors");
        var (code, _, error) = await Cli.RunAsync("forward", "--model", Path.Combine(Tiny, "heads", "multiplechoice"), "--task", "multiple-choice", "--inputs", InputsFrom(golden, "mc.labels", "mc."), "--output", output);
        Assert.True(code == 0, error);
        AssertClose(golden, "AlbertForMultipleChoice.logits", output, "logits");
        AssertClose(golden, "AlbertForMultipleChoice.loss", output, "loss");
    }

    [Fact]
    public async Task Ids_outside_the_vocabulary_fail_with_one_line()
    {
        string path = _temp.NewFile("bad.safetensors");
        using (var ids = tensor(new long[] { 2, 5000, 3 }).reshape(1, 3))
        {
            SafetensorsWriter.Write(path, [new("input_ids", ids)]);
        }

        var (code, output, error) = await Cli.RunAsync("forward", "--model", Tiny, "--task", "base", "--inputs", path, "--output", _temp.NewFile("out.safetensors"));
        Assert.Equal(CliApp.InputError, code);
        Assert.Empty(output);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("5000", line);
        Assert.DoesNotContain(" at ", line);
    }

    [Fact]
    public async Task Missing_input_ids_names_the_tensor()
    {
        string path = _temp.NewFile("empty.safetensors");
        using (var mask = ones(1, 3, dtype: int64))
        {
            SafetensorsWriter.Write(path, [new("attention_mask", mask)]);
        }

        var (code, _, error) = await Cli.RunAsync("forward", "--model", Tiny, "--task", "base", "--inputs", path, "--output", _temp.NewFile("out.safetensors"));
        Assert.Equal(CliApp.InputError, code);
        Assert.Contains("input_ids", error);
    }

    [Fact]
    public async Task Float_input_ids_are_refused()
    {
        string path = _temp.NewFile("float.safetensors");
        using (var ids = ones(1, 3, dtype: float32))
        {
            SafetensorsWriter.Write(path, [new("input_ids", ids)]);
        }

        var (code, _, error) = await Cli.RunAsync("forward", "--model", Tiny, "--task", "base", "--inputs", path, "--output", _temp.NewFile("out.safetensors"));
        Assert.Equal(CliApp.InputError, code);
        Assert.Contains("input_ids", error);
        Assert.Contains("F32", error);
    }

    [Fact]
    public async Task A_corrupt_checkpoint_fails_without_a_stack_trace()
    {
        string dir = _temp.NewFolder();
        File.Copy(Path.Combine(Tiny, "config.json"), Path.Combine(dir, "config.json"));
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, (byte)'{']);
        var (code, _, error) = await Cli.RunAsync("forward", "--model", dir, "--task", "base", "--inputs", InputsFrom(Golden("tiny", "no_mask")), "--output", _temp.NewFile("out.safetensors"));
        Assert.Equal(CliApp.InputError, code);
        Assert.Contains("model.safetensors", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task An_unknown_task_is_a_one_line_usage_error()
    {
        var (code, _, error) = await Cli.RunAsync("forward", "--model", Tiny, "--task", "qa", "--inputs", "x", "--output", "y");
        Assert.Equal(CliApp.UsageError, code);
        Assert.Contains("'qa'", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
