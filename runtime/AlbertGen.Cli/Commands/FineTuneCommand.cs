using System.CommandLine;
using AlbertGen.Cli.Progress;
using AlbertGen.Training;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen finetune</c>: trains a task head on labelled data and writes a HuggingFace checkpoint.</summary>
internal static class FineTuneCommand
{
    /// <summary>
    /// The <c>--task</c> names: the registry's name of the head each task trains, and for sequence classification's two
    /// other problem types a name of their own.
    /// </summary>
    private static readonly Dictionary<string, FineTuneTask> Tasks = Enum.GetValues<FineTuneTask>().ToDictionary(task => task switch
    {
        FineTuneTask.MultiLabelClassification => "multi-label-classification",
        FineTuneTask.Regression => "regression",
        _ => AlbertHeadRegistry.Of(FineTuner.HeadOf(task)).Task,
    }, StringComparer.Ordinal);

    public static Command Create(CliContext context)
    {
        var model = new ModelOptions();
        var device = new DeviceOption();
        var task = new Option<string>("--task") { Description = "The head to train.", Required = true };
        task.AcceptOnlyFromAmong([.. Tasks.Keys]);
        var train = new Option<string>("--train") { Description = "Training data: JSONL or CSV (text, text_pair, label; tokens/tags; question/context/answers; choices/label).", Required = true };
        var eval = new Option<string?>("--eval") { Description = "Evaluation data in the same format, evaluated after every epoch." };
        var output = new Option<string>("--output") { Description = "Output directory for the fine-tuned model (HuggingFace layout).", Required = true };
        // Unset training settings come from the model's finetune_defaults.json, else the built-in defaults (FineTuneSettings).
        var epochs = new Option<int?>("--epochs") { Description = $"Passes over the training data (default: the model's {FineTuneDefaults.FileName}, else 3)." };
        var learningRate = new Option<double?>("--lr") { Description = $"Peak learning rate, AdamW (default: the model's {FineTuneDefaults.FileName}, else 3e-5)." };
        var batchSize = new Option<int?>("--batch-size") { Description = $"Examples per update (default: the model's {FineTuneDefaults.FileName}, else 16)." };
        var maxLength = new Option<int?>("--max-seq-length") { Description = $"Tokens per example (default: the model's {FineTuneDefaults.FileName}, else 128 or the config's max_position_embeddings if smaller)." };
        var warmupRatio = new Option<double?>("--warmup-ratio") { Description = $"Fraction of updates spent warming up (default: the model's {FineTuneDefaults.FileName}, else 0.1)." };
        var patience = new Option<int?>("--early-stopping") { Description = "Stop after this many epochs without improvement of the evaluation metric." };
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation, shuffling and dropout.", DefaultValueFactory = _ => 42 };
        var bf16 = new Option<bool>("--bf16") { Description = "Mixed precision: the linear layers' matrix products in bfloat16, weights, gradients and everything else float32 (faster on CPUs with AVX512-BF16)." };
        var command = new Command("finetune", "Fine-tune a task head on labelled data and save it in HuggingFace layout.")
        {
            task, train, eval, output, epochs, learningRate, batchSize, maxLength, warmupRatio, patience, seed, bf16,
        };
        model.AddTo(command, tokenizer: true);
        device.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            TorchSharp.torch.Device runOn = device.Read(parse);
            string directory = model.Resolve(parse);
            var options = new FineTuneOptions
            {
                Task = Tasks[parse.GetValue(task)!],
                ModelDirectory = directory,
                // As the pipelines load it: the config's position count caps the length.
                Tokenizer = Tokenization.AlbertTokenizer.FromDirectory(
                    directory, model.TokenizerKind(parse), AlbertConfigReader.ReadFile(directory).MaxPositionEmbeddings),
                TrainFile = parse.GetValue(train),
                EvalFile = parse.GetValue(eval),
                OutputDirectory = parse.GetValue(output)!,
                Epochs = parse.GetValue(epochs),
                LearningRate = parse.GetValue(learningRate),
                BatchSize = parse.GetValue(batchSize),
                MaxSequenceLength = parse.GetValue(maxLength),
                WarmupRatio = parse.GetValue(warmupRatio),
                EarlyStoppingPatience = parse.GetValue(patience),
                Seed = parse.GetValue(seed),
                TrainingMatMulDType = parse.GetValue(bf16) ? TorchSharp.torch.ScalarType.BFloat16 : null,
                LossCurvePlotter = new PngLossCurvePlotter(),
                Device = runOn,
            };
            AlbertConfig config = AlbertConfigReader.ReadFile(options.ModelDirectory);
            await context.Error.WriteLineAsync("settings: " + FineTuneSettings.Resolve(options, config.MaxPositionEmbeddings));
            FineTuneResult result = await TerminalProgress.TrainAsync(context, "fine-tuning", progress => FineTuner.RunAsync(options, progress, cancellationToken));
            string best = result.BestEvaluation is null ? "no evaluation data" : $"best {result.BestEvaluation}";
            await context.Output.WriteLineAsync(
                $"trained {result.Steps} updates over {result.Epochs} epoch(s){(result.StoppedEarly ? " (stopped early)" : "")}; final loss {result.FinalLoss:0.0000}; {best}; model in {result.OutputDirectory}");
        });
        return command;
    }
}
