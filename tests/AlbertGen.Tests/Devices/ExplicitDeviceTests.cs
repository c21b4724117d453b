using AlbertGen.Checkpoints;
using AlbertGen.Inference;
using AlbertGen.Modeling;
using AlbertGen.Tasks;
using AlbertGen.Tests.Training;
using AlbertGen.Tokenization;
using AlbertGen.Training;
using TorchSharp;
using static TorchSharp.torch;
using AdamW = AlbertGen.Training.AdamW;

namespace AlbertGen.Tests.Devices;

/// <summary>
/// The device plumbing, tested on the CPU device asked for explicitly (no GPU is lent to this project): device names,
/// and every output of the model, the inference session, the pipelines and the training steps on the device given. The
/// tests reference TorchSharp's CPU backend, so CUDA is absent here and asking for it must be refused.
/// </summary>
public sealed class ExplicitDeviceTests
{
    private static readonly Device Cuda0 = new(DeviceType.CUDA, 0);

    [Theory]
    [InlineData("cpu")]
    [InlineData("CPU")]
    [InlineData(" cpu ")]
    [InlineData("auto")]
    public void Cpu_and_auto_name_the_cpu_on_a_cpu_backend(string name)
    {
        Assert.False(AlbertDevice.IsCudaAvailable);
        Assert.Equal(0, AlbertDevice.CudaDeviceCount);
        Device device = AlbertDevice.Parse(name);
        Assert.Equal(DeviceType.CPU, device.type);
        Assert.Equal("cpu", AlbertDevice.Name(device));
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:0")]
    [InlineData("CUDA:3")]
    public void A_gpu_without_cuda_is_refused_naming_the_backend_package(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => AlbertDevice.Parse(name));
        Assert.Contains("libtorch-cuda-12.8-linux-x64", e.Message);
        Assert.Contains(name, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("cuda0")]
    [InlineData("cpu:0")]
    public void An_unknown_name_is_a_format_error_listing_the_names(string name)
    {
        var e = Assert.Throws<FormatException>(() => AlbertDevice.Parse(name));
        Assert.Contains($"\"{name}\"", e.Message);
        Assert.Contains("cpu, cuda, cuda:N or auto", e.Message);
    }

    [Fact]
    public void Gpu_names_are_cuda_with_an_index()
    {
        Assert.Equal("cuda:0", AlbertDevice.Name(Cuda0));
        Assert.Equal("cuda:2", AlbertDevice.Name(new Device(DeviceType.CUDA, 2)));
    }

    [Fact]
    public void The_model_and_its_inference_session_keep_every_output_on_the_device_asked_for()
    {
        Device cpu = AlbertDevice.Parse("cpu");
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(TaskModelDirectory.Tiny, new LoadOptions { Device = cpu });
        model.eval();
        Assert.Equal("cpu", AlbertDevice.Name(model.Device));
        using var scope = NewDisposeScope();
        using var ids = randint(5, 1000, [2, 9], dtype: ScalarType.Int64);
        var inputs = new AlbertInputs { InputIds = ids, AttentionMask = ones_like(ids), Labels = ids, OutputHiddenStates = true, OutputAttentions = true };
        using (MaskedLMOutput output = model.forward(inputs))
        {
            AssertAllOn(cpu, output, expectedAtLeast: 2 + 3 + 2); // loss, logits, 3 hidden states, 2 attentions
        }

        using InferenceSession<MaskedLMOutput> session = model.CompileForInference(new InferenceOptions { Device = cpu });
        using MaskedLMOutput compiled = session.Run(new AlbertInputs { InputIds = ids, AttentionMask = ones_like(ids) });
        AssertAllOn(cpu, compiled, expectedAtLeast: 1);
    }

    [Fact]
    public void Every_pipeline_runs_its_model_on_the_device_asked_for()
    {
        var options = new PipelineOptions { Device = AlbertDevice.Parse("cpu") };
        using (var fill = FillMaskPipeline.FromPretrained(TaskModelDirectory.Tiny, options))
        {
            Assert.Equal("cpu", AlbertDevice.Name(fill.Model.Device));
            Assert.Equal(5, fill.Predict("the king [MASK] here").Masks[0].Count);
        }

        using (var classify = TextClassificationPipeline.FromPretrained(TaskModelDirectory.Head("seqcls-single3"), options))
        {
            Assert.Equal("cpu", AlbertDevice.Name(classify.Model.Device));
            Assert.Single(classify.Classify("the king is here"));
        }

        using (var tag = TokenClassificationPipeline.FromPretrained(TaskModelDirectory.Head("tokcls5"), options))
        {
            Assert.Equal("cpu", AlbertDevice.Name(tag.Model.Device));
            Assert.NotEmpty(tag.Predict("the king is here"));
        }

        using (var answer = QuestionAnsweringPipeline.FromPretrained(TaskModelDirectory.Head("qa"), options))
        {
            Assert.Equal("cpu", AlbertDevice.Name(answer.Model.Device));
            Assert.NotEmpty(answer.Answer("where is the king?", "the king is here in the hall").Answers);
        }

        using (var choose = MultipleChoicePipeline.FromPretrained(TaskModelDirectory.Head("multiplechoice"), options))
        {
            Assert.Equal("cpu", AlbertDevice.Name(choose.Model.Device));
            Assert.Equal(2, choose.Choose("the king", ["sleeps", "walks"]).Count);
        }

        using (var embed = SentenceEmbeddingGenerator.FromPretrained(TaskModelDirectory.Tiny, options: options))
        {
            Assert.Equal("cpu", AlbertDevice.Name(embed.Model.Device));
            Assert.Equal(32, embed.Embed("the king is here").Length);
        }
    }

    [Fact]
    public void Training_batches_the_optimizer_state_and_pretraining_batches_live_on_the_models_device()
    {
        Device cpu = AlbertDevice.Parse("cpu");
        using var scope = NewDisposeScope();
        using var model = new AlbertForSequenceClassification(TrainingFixtures.TinyConfig() with { NumLabels = 2 });
        model.to(cpu);
        var rows = new List<EncodedExample>
        {
            new() { InputIds = [[2, 10, 11, 3]], TokenTypeIds = [[0, 0, 0, 0]], ClassLabel = 1 },
            new() { InputIds = [[2, 12, 3]], TokenTypeIds = [[0, 0, 0]], ClassLabel = 0 },
        };
        using TrainingBatch batch = TrainingBatch.Collate(rows, FineTuneTask.SequenceClassification, padId: 0, device: model.Device);
        Tensor?[] made = [batch.Inputs.InputIds, batch.Inputs.TokenTypeIds, batch.Inputs.AttentionMask, batch.Inputs.Labels];
        Assert.All(made, t => Assert.Equal(DeviceType.CPU, t!.device_type));

        using var optimizer = new AdamW(ParameterGroups.Split(model, 0.01));
        using (SequenceClassifierOutput output = model.forward(batch.Inputs))
        {
            AssertAllOn(cpu, output, expectedAtLeast: 2);
            output.Loss!.backward();
        }

        optimizer.Step(1e-3);
        Assert.NotEmpty(optimizer.StateTensors);
        Assert.All(optimizer.StateTensors, t => Assert.Equal(DeviceType.CPU, t.device_type));

        var instance = new PretrainingInstance([2, 10, 4, 3], [0, 0, 0, 0], [-100, -100, 11, -100], 1);
        (AlbertInputs pretraining, _) = Pretrainer.Collate([instance], padId: 0, cpu);
        Tensor?[] pretrainingMade = [pretraining.InputIds, pretraining.TokenTypeIds, pretraining.AttentionMask, pretraining.Labels, pretraining.SentenceOrderLabel];
        Assert.All(pretrainingMade, t => Assert.Equal(DeviceType.CPU, t!.device_type));
    }

    [Fact]
    public void Fine_tuning_on_an_explicit_device_trains_and_saves()
    {
        using var dir = new TempDirectory("training");
        FineTuneResult result = FineTuner.Run(new FineTuneOptions
        {
            Task = FineTuneTask.SequenceClassification,
            TrainExamples = [new TextExample("the king is here", "yes"), new TextExample("the queen sleeps", "no")],
            EvalExamples = [new TextExample("the king is here", "yes")],
            Config = TrainingFixtures.TinyConfig(),
            Tokenizer = TrainingFixtures.Tokenizer,
            OutputDirectory = dir.Path,
            Epochs = 1,
            BatchSize = 2,
            Device = AlbertDevice.Parse("cpu"),
        });
        Assert.Equal(1, result.Steps);
        Assert.True(File.Exists(Path.Combine(dir.Path, "model.safetensors")));
    }

    [Fact]
    public void A_session_or_pipeline_on_another_device_than_its_model_is_refused()
    {
        using var model = new AlbertForMaskedLM(TrainingFixtures.TinyConfig());
        model.eval();
        var e = Assert.Throws<ArgumentException>(() => model.CompileForInference(new InferenceOptions { Device = Cuda0 }));
        Assert.Contains("cuda:0", e.Message);
        Assert.Contains("on cpu", e.Message);

        var p = Assert.Throws<ArgumentException>(() => new FillMaskPipeline(model, TrainingFixtures.Tokenizer, new PipelineOptions { Device = Cuda0 }));
        Assert.Contains("cuda:0", p.Message);
    }

    [Fact]
    public void Hand_picked_cpu_kernels_are_chosen_only_for_the_cpu()
    {
        // albert-base's shapes: on a CPU with AVX2 and FMA the products run AlbertGen's managed kernels (the fused layers);
        // on a GPU every product is libtorch's (cuBLAS), whatever the CPU, and nothing runs fused.
        var config = new AlbertConfig { HiddenSize = 768, NumAttentionHeads = 12, IntermediateSize = 3072, NumHiddenLayers = 12 };
        CpuFeatures avx2 = CpuFeatures.Current.Restrict(["avx2", "fma"]);
        InferencePlan onCpu = InferenceCompiler.Plan(config, ScalarType.Float32, new InferenceOptions { Cpu = avx2, Device = CPU });
        InferencePlan onGpu = InferenceCompiler.Plan(config, ScalarType.Float32, new InferenceOptions { Cpu = avx2, Device = Cuda0 });
        Assert.All(onCpu.Products, p => Assert.Equal("managed-avx2-fp32", p.Kernel));
        Assert.NotNull(onCpu.FusedLayers);
        Assert.All(onGpu.Products, p => Assert.Equal("libtorch-fp32", p.Kernel));
        Assert.Null(onGpu.FusedLayers);
    }

    private static void AssertAllOn(Device device, AlbertOutput output, int expectedAtLeast)
    {
        List<Tensor> tensors = [.. output.AllTensors()];
        Assert.True(tensors.Count >= expectedAtLeast, $"{tensors.Count} output tensors, expected at least {expectedAtLeast}");
        Assert.All(tensors, t => Assert.Equal(AlbertDevice.Name(device), AlbertDevice.Name(t.device)));
    }
}
