using Xunit.Abstractions;
using AlbertGen.Inference;
using AlbertGen.Modeling;
using AlbertGen.Tasks;
using AlbertGen.Tests.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Inference;

/// <summary>
/// A session never computes from old weights: after loading, <c>load_state_dict</c>, an in-place edit, an optimizer step or
/// a conversion, a session compiled before refuses to run, and a session compiled after gives exactly what a fresh model
/// with the new weights gives. On the albert-base-sized anchor (packed weights) in float32 and with bfloat16 products
/// where the CPU has them.
/// </summary>
[Collection(nameof(LiveTensorCount))]
public sealed class StaleWeightsTests(ITestOutputHelper log)
{
    private const string FfnWeight = "encoder.albert_layer_groups.0.albert_layers.0.ffn.weight";
    private const string QueryBias = "encoder.albert_layer_groups.0.albert_layers.0.attention.query.bias";

    public static TheoryData<string> Paths() => new() { "fp32-auto", "fp32-fused", "bf16-auto" };

    private static (InferenceOptions? Options, string? Skip) Options(string path) =>
        path == "fp32-auto" ? (InferenceOptions.Default, null) : KernelPaths.Options(path);

    private static Tensor Ids(AlbertModel model) =>
        randint(5, model.Config.VocabSize, [2, 16], dtype: ScalarType.Int64, generator: new TorchSharp.torch.Generator(3));

    /// <summary>A session's last hidden state on fixed inputs, copied out.</summary>
    private static Tensor Output(InferenceSession<AlbertModelOutput> session, Tensor ids)
    {
        using AlbertModelOutput output = session.Run(new AlbertInputs { InputIds = ids });
        return output.LastHiddenState.clone();
    }

    /// <summary>What a freshly loaded model with the weights saved in <paramref name="directory"/> gives through a new session.</summary>
    private static Tensor Fresh(string directory, InferenceOptions options, Tensor ids)
    {
        using AlbertModel fresh = AlbertModel.FromPretrained(directory);
        using InferenceSession<AlbertModelOutput> session = fresh.CompileForInference(options);
        return Output(session, ids);
    }

    /// <summary>The anchor, with the first layer's FFN weight scaled by 1.25 and a query bias shifted, saved to <paramref name="directory"/>.</summary>
    private static void SaveEditedAnchor(string directory)
    {
        using AlbertModel edited = AlbertModel.FromPretrained(SharedFolder.Anchor);
        using (no_grad())
        {
            edited.get_parameter(FfnWeight)!.mul_(1.25);
            edited.get_parameter(QueryBias)!.add_(0.5);
        }

        edited.Save(directory);
    }

    /// <summary>
    /// Compiles and runs a session on the anchor, applies <paramref name="change"/>, checks that the old session refuses to
    /// run, and returns what a new session gives.
    /// </summary>
    private Tensor? AfterChange(string path, Action<AlbertModel> change, out Tensor ids)
    {
        ids = null!;
        (InferenceOptions? options, string? skip) = Options(path);
        if (skip is not null)
        {
            log.WriteLine($"SKIPPED {path}: {skip}");
            return null;
        }

        using AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Anchor);
        ids = Ids(model);
        using InferenceSession<AlbertModelOutput> before = model.CompileForInference(options);
        using (Output(before, ids))
        {
        }

        change(model);
        model.eval();
        Assert.False(before.IsCurrent);
        var e = Assert.Throws<InvalidOperationException>(() => before.Run(new AlbertInputs { InputIds = Ids(model) }));
        log.WriteLine(e.Message);
        Assert.Contains("CompileForInference", e.Message, StringComparison.Ordinal);
        using InferenceSession<AlbertModelOutput> after = model.CompileForInference(options);
        log.WriteLine(string.Join(", ", after.Products.Select(p => p.ToString())));
        return Output(after, ids);
    }

    private static void AssertSame(Tensor expected, Tensor actual, string what)
    {
        using (expected)
        using (actual)
        {
            float diff = expected.sub(actual).abs().max().item<float>();
            Assert.True(diff == 0f, $"{what}: max abs diff {diff} from a fresh model");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void LoadWeights_into_a_model_that_ran_gives_a_fresh_models_outputs(string path)
    {
        using var edited = new TempDirectory();
        SaveEditedAnchor(edited.Path);
        Tensor? actual = AfterChange(path, model => model.LoadWeights(edited.Path), out Tensor ids);
        if (actual is null)
        {
            return;
        }

        using (ids)
        {
            AssertSame(Fresh(edited.Path, Options(path).Options!, ids), actual, "after LoadWeights");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Load_state_dict_into_a_model_that_ran_gives_a_fresh_models_outputs(string path)
    {
        using var edited = new TempDirectory();
        SaveEditedAnchor(edited.Path);
        using AlbertModel source = AlbertModel.FromPretrained(edited.Path);
        Tensor? actual = AfterChange(path, model => model.load_state_dict(source.state_dict()), out Tensor ids);
        if (actual is null)
        {
            return;
        }

        using (ids)
        {
            AssertSame(Fresh(edited.Path, Options(path).Options!, ids), actual, "after load_state_dict");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void An_in_place_edit_gives_a_fresh_models_outputs(string path)
    {
        using var edited = new TempDirectory();
        SaveEditedAnchor(edited.Path);
        Tensor? actual = AfterChange(path, model =>
        {
            using (no_grad())
            {
                model.get_parameter(FfnWeight)!.mul_(1.25);
                model.get_parameter(QueryBias)!.add_(0.5);
            }
        }, out Tensor ids);
        if (actual is null)
        {
            return;
        }

        using (ids)
        {
            AssertSame(Fresh(edited.Path, Options(path).Options!, ids), actual, "after an in-place edit");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void An_optimizer_step_gives_a_fresh_models_outputs(string path)
    {
        using var stepped = new TempDirectory();
        Tensor? actual = AfterChange(path, model =>
        {
            using var optimizer = optim.SGD(model.parameters(), 0.5);
            using var scope = NewDisposeScope();
            using AlbertModelOutput output = model.forward(new AlbertInputs { InputIds = Ids(model) });
            output.LastHiddenState.pow(2).mean().backward();
            model.eval(); // the step itself, not the mode switch, is what must be seen
            optimizer.step();
            model.Save(stepped.Path);
        }, out Tensor ids);
        if (actual is null)
        {
            return;
        }

        using (ids)
        {
            AssertSame(Fresh(stepped.Path, Options(path).Options!, ids), actual, "after an optimizer step");
        }
    }

    [Fact]
    public void A_step_made_in_place_without_any_mode_switch_is_seen()
    {
        using AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Model("tiny"));
        using InferenceSession<AlbertModelOutput> session = model.CompileForInference();
        Assert.True(session.IsCurrent);
        using (no_grad())
        {
            model.get_parameter(FfnWeight)!.add_(1e-3);
        }

        Assert.False(session.IsCurrent);
    }

    [Fact]
    public void A_conversion_makes_the_session_out_of_date()
    {
        using AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Model("tiny"));
        using InferenceSession<AlbertModelOutput> session = model.CompileForInference();
        model.to(ScalarType.Float64);
        Assert.False(session.IsCurrent);
        using InferenceSession<AlbertModelOutput> converted = model.CompileForInference();
        using Tensor ids = tensor(new long[,] { { 2, 10, 11, 3 } });
        using AlbertModelOutput output = converted.Run(new AlbertInputs { InputIds = ids });
        Assert.Equal(ScalarType.Float64, output.LastHiddenState.dtype);
    }

    [Fact]
    public void A_pipeline_recompiles_its_session_when_its_model_is_reloaded()
    {
        using var edited = new TempDirectory();
        using (AlbertForMaskedLM source = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny")))
        {
            using (no_grad())
            {
                source.get_parameter("albert." + FfnWeight)!.mul_(1.25);
            }

            source.Save(edited.Path);
        }

        using var pipeline = new FillMaskPipeline(AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny")), TaskModelDirectoryTokenizer(), ownsModel: true);
        using var expected = new FillMaskPipeline(AlbertForMaskedLM.FromPretrained(edited.Path), TaskModelDirectoryTokenizer(), ownsModel: true);
        string text = "a b [MASK] c";
        InferenceSession<MaskedLMOutput> first = pipeline.Session;
        _ = pipeline.Predict(text);
        pipeline.Model.LoadWeights(edited.Path);
        pipeline.Model.eval();
        FillMaskResult result = pipeline.Predict(text);

        Assert.NotSame(first, pipeline.Session);
        Assert.Equal(expected.Predict(text).Masks[0].Select(c => (c.Token, c.Score)), result.Masks[0].Select(c => (c.Token, c.Score)));
    }

    private static AlbertGen.Tokenization.AlbertTokenizer TaskModelDirectoryTokenizer() =>
        AlbertGen.Tokenization.AlbertTokenizer.FromFile(Path.Combine(SharedFolder.Tokenizer, "spiece.model"),
            AlbertGen.Tokenization.AlbertTokenizerOptions.ForConfig(AlbertConfigReader.ReadFile(SharedFolder.Model("tiny"))));
}
