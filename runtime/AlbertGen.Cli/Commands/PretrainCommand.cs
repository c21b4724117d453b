using System.CommandLine;
using AlbertGen.Cli.Progress;
using AlbertGen.Tokenization;
using AlbertGen.Training;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen pretrain</c>: ALBERT's pre-training recipe (masked n-grams + sentence order) on raw text.</summary>
internal static class PretrainCommand
{
    public static Command Create(CliContext context)
    {
        var corpus = new Option<string>("--corpus") { Description = "Raw text file: one sentence or line per line.", Required = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "The SentencePiece spiece.model (trained with ALBERT's spm_train flags).", Required = true };
        var config = new Option<string>("--config") { Description = "config.json of the model to pretrain.", Required = true };
        var output = new Option<string>("--output") { Description = "Output directory: the model in HuggingFace layout, loss curve and checkpoint/.", Required = true };
        var steps = new Option<int>("--steps") { Description = "Optimizer updates of the whole run.", DefaultValueFactory = _ => 2000 };
        var stopAfter = new Option<int?>("--stop-after") { Description = "Stop after this many updates (the schedule keeps --steps); run again to resume." };
        var batchSize = new Option<int>("--batch-size") { Description = "Sequences per update.", DefaultValueFactory = _ => 32 };
        var maxLength = new Option<int?>("--max-seq-length") { Description = "Tokens per sequence, [CLS] and [SEP]s included (default: 128, or the config's max_position_embeddings if smaller)." };
        var learningRate = new Option<double>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => 2e-3 };
        var warmup = new Option<int>("--warmup-steps") { Description = "Linear warm-up updates.", DefaultValueFactory = _ => 100 };
        var optimizer = new Option<PretrainOptimizer>("--optimizer") { Description = "LAMB (ALBERT's) or AdamW.", DefaultValueFactory = _ => PretrainOptimizer.Lamb };
        var saveSteps = new Option<int>("--save-steps") { Description = "Updates between resumable checkpoints.", DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation, data and masking.", DefaultValueFactory = _ => 12345 };
        var oneDocument = new Option<bool>("--one-document") { Description = "Treat the whole corpus as one document (blank lines do not end documents)." };
        var restart = new Option<bool>("--restart") { Description = "Ignore an existing checkpoint/ in the output directory." };
        var bf16 = new Option<bool>("--bf16") { Description = "Mixed precision: the linear layers' matrix products in bfloat16, weights, gradients and everything else float32 (faster on CPUs with AVX512-BF16)." };
        var evalInstances = new Option<int>("--eval-instances")
        {
            Description = "Sequences to evaluate the model on when the run ends (masked-LM and sentence-order accuracy and loss); 0: no evaluation.",
            DefaultValueFactory = _ => 512,
        };
        var evalCorpus = new Option<string?>("--eval-corpus") { Description = "Held-out text to evaluate on (default: new masks and pairs of the training corpus)." };
        var command = new Command("pretrain", "Pretrain an ALBERT model from raw text (resumes from its last checkpoint).")
        {
            corpus, tokenizer, config, output, steps, stopAfter, batchSize, maxLength, learningRate, warmup, optimizer, saveSteps, seed, oneDocument, restart, bf16,
            evalInstances, evalCorpus,
        };
        var device = new DeviceOption();
        device.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            TorchSharp.torch.Device runOn = device.Read(parse);
            AlbertConfig modelConfig = AlbertConfigReader.ReadFile(parse.GetValue(config)!);
            var options = new PretrainOptions
            {
                CorpusFile = parse.GetValue(corpus)!,
                Tokenizer = AlbertTokenizer.FromFile(parse.GetValue(tokenizer)!, AlbertTokenizerOptions.ForConfig(modelConfig)),
                Config = modelConfig,
                OutputDirectory = parse.GetValue(output)!,
                MaxSteps = parse.GetValue(steps),
                StopAfterStep = parse.GetValue(stopAfter),
                BatchSize = parse.GetValue(batchSize),
                MaxSequenceLength = parse.GetValue(maxLength) ?? Math.Min(PretrainOptions.DefaultMaxSequenceLength, modelConfig.MaxPositionEmbeddings),
                LearningRate = parse.GetValue(learningRate),
                WarmupSteps = parse.GetValue(warmup),
                Optimizer = parse.GetValue(optimizer),
                SaveSteps = parse.GetValue(saveSteps),
                Seed = parse.GetValue(seed),
                BlankLineSeparatesDocuments = !parse.GetValue(oneDocument),
                Resume = !parse.GetValue(restart),
                TrainingMatMulDType = parse.GetValue(bf16) ? TorchSharp.torch.ScalarType.BFloat16 : null,
                Device = runOn,
                LossCurvePlotter = new PngLossCurvePlotter(),
                EvaluationInstances = parse.GetValue(evalInstances),
                EvaluationCorpusFile = parse.GetValue(evalCorpus),
            };
            PretrainResult result = await TerminalProgress.TrainAsync(context, "pretraining", progress => Pretrainer.RunAsync(options, progress, cancellationToken));
            await context.Output.WriteLineAsync(
                $"{(result.Completed ? "finished" : "stopped")} at step {result.Steps} (resumed from {result.ResumedFromStep}); loss {result.FirstLoss:0.000} → {result.LastLoss:0.000}; {result.TokensPerSecond:0} tokens/s; model in {result.OutputDirectory}");
            if (result.Evaluation is { } evaluation)
            {
                IReadOnlyDictionary<string, double> m = evaluation.Metrics;
                await context.Output.WriteLineAsync(
                    $"evaluation: masked-LM accuracy {100 * m[PretrainingEvaluation.MaskedLmAccuracy]:0.0} % (loss {m[PretrainingEvaluation.MaskedLmLoss]:0.000}), " +
                    $"sentence-order accuracy {100 * m[PretrainingEvaluation.SentenceOrderAccuracy]:0.0} % (loss {m[PretrainingEvaluation.SentenceOrderLoss]:0.000})");
            }
        });
        return command;
    }
}
