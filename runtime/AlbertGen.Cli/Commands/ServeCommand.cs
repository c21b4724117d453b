using System.CommandLine;
using AlbertGen.Checkpoints;
using AlbertGen.Server;
using AlbertGen.Server.Engine;
using AlbertGen.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen serve</c>: the HTTP server (TEI-compatible routes, HuggingFace task routes, dynamic batching).</summary>
internal static class ServeCommand
{
    /// <summary>Environment variable read when <c>--api-key</c> is not given (keeps the key out of the process list).</summary>
    public const string ApiKeyVariable = "ALBERTGEN_API_KEY";

    public static Command Create(CliContext context)
    {
        var model = new ModelOptions();
        var device = new DeviceOption();
        var defaults = new AlbertServerOptions { ModelDirectory = "." };
        var hostingDefaults = new AlbertServerHosting();
        var host = new Option<string>("--host") { Description = "Address to listen on (0.0.0.0 for every interface).", DefaultValueFactory = _ => hostingDefaults.Host };
        var port = new Option<int>("--port") { Description = "Port to listen on (0 picks a free one).", DefaultValueFactory = _ => hostingDefaults.Port };
        var maxBatchTokens = new Option<int>("--max-batch-tokens") { Description = "Most tokens in one forward pass, counted padded (rows × longest row).", DefaultValueFactory = _ => defaults.MaxBatchTokens };
        var maxBatchRequests = new Option<int?>("--max-batch-requests") { Description = "Most inputs in one forward pass (default: limited by --max-batch-tokens only)." };
        var maxPadding = new Option<double>("--max-batch-padding") { Description = "Largest share of a forward pass that may be padding (0–1; 1 batches regardless of length).", DefaultValueFactory = _ => defaults.MaxBatchPadding };
        var maxConcurrent = new Option<int>("--max-concurrent-requests") { Description = "Requests in flight before new ones get 429.", DefaultValueFactory = _ => defaults.MaxConcurrentRequests };
        var maxClientBatch = new Option<int>("--max-client-batch-size") { Description = "Most inputs in one request (more gets 413).", DefaultValueFactory = _ => defaults.MaxClientBatchSize };
        var noTruncate = new Option<bool>("--no-auto-truncate") { Description = "Refuse (413) inputs longer than the model unless the request asks for \"truncate\": true." };
        var pooling = new Option<string>("--pooling") { Description = "Embedding pooling: mean (as albertgen embed) or cls.", DefaultValueFactory = _ => "mean" };
        pooling.AcceptOnlyFromAmong("mean", "cls");
        var bf16 = new Option<bool>("--bf16") { Description = "Run the transformer's matrix products in bfloat16 (about 1.8 times as fast on CPUs with AVX512-BF16; outputs stay float32)." };
        var int8 = new Option<bool>("--int8") { Description = "Run the transformer's matrix products in int8 with dynamic quantisation (faster on CPUs with VNNI; outputs stay float32, predictions may differ slightly)." };
        var apiKey = new Option<string?>("--api-key") { Description = $"Require 'Authorization: Bearer <key>' on every route but /health (default: ${ApiKeyVariable}, else no key)." };
        var modelId = new Option<string?>("--model-id") { Description = "The model's name in /info and OpenAI responses (default: the model folder's name)." };
        var shutdown = new Option<int>("--shutdown-timeout") { Description = "Seconds a shutdown (SIGTERM, Ctrl+C) waits for in-flight requests.", DefaultValueFactory = _ => (int)hostingDefaults.ShutdownTimeout.TotalSeconds };
        var jsonLogs = new Option<bool>("--json-logs") { Description = "Log one JSON object per line." };
        var command = new Command("serve", "Serve the model over HTTP: TEI-compatible routes (/embed, /predict, /rerank, /tokenize, /v1/embeddings, …) and HuggingFace task routes.")
        {
            host, port, maxBatchTokens, maxBatchRequests, maxPadding, maxConcurrent, maxClientBatch, noTruncate, pooling, bf16, int8, apiKey, modelId, shutdown, jsonLogs,
        };
        model.AddTo(command);
        device.AddTo(command);

        // A synchronous action: System.CommandLine then leaves SIGTERM and Ctrl+C to the host, which stops taking requests,
        // finishes those in flight (up to --shutdown-timeout) and returns, so the process exits 0.
        command.SetAction(parse =>
        {
            if (parse.GetValue(shutdown) < 0)
            {
                throw new ArgumentException($"--shutdown-timeout must be at least 0 seconds, not {parse.GetValue(shutdown)}.");
            }

            TorchSharp.torch.Device runOn = device.Read(parse);
            var options = new AlbertServerOptions
            {
                ModelDirectory = model.Resolve(parse),
                LoadOptions = new Checkpoints.LoadOptions { Device = runOn },
                ModelId = parse.GetValue(modelId) ?? ModelName(parse.GetValue(model.Model)),
                MaxBatchTokens = parse.GetValue(maxBatchTokens),
                MaxBatchRequests = parse.GetValue(maxBatchRequests),
                MaxBatchPadding = parse.GetValue(maxPadding),
                MaxConcurrentRequests = parse.GetValue(maxConcurrent),
                MaxClientBatchSize = parse.GetValue(maxClientBatch),
                AutoTruncate = !parse.GetValue(noTruncate),
                Pooling = parse.GetValue(pooling) == "cls" ? EmbeddingPooling.Cls : EmbeddingPooling.Mean,
                Inference = (parse.GetValue(bf16), parse.GetValue(int8)) switch
                {
                    (true, true) => throw new UsageException("--bf16 and --int8 exclude each other; choose one."),
                    (true, false) => new Inference.InferenceOptions { MatMulDType = TorchSharp.torch.ScalarType.BFloat16 },
                    (false, true) => new Inference.InferenceOptions { Int8 = true },
                    _ => null,
                },
                ApiKey = parse.GetValue(apiKey) ?? NullIfEmpty(Environment.GetEnvironmentVariable(ApiKeyVariable)),
            };
            var hosting = new AlbertServerHosting
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                ShutdownTimeout = TimeSpan.FromSeconds(parse.GetValue(shutdown)),
                JsonLogs = parse.GetValue(jsonLogs),
            };
            WebApplication app = AlbertServerApp.Build(options, hosting);
            AlbertModelHost modelHost = app.Services.GetRequiredService<AlbertModelHost>();
            app.RunAsync().GetAwaiter().GetResult(); // disposes the app when it has stopped
            if (modelHost.LoadError is Exception loadError)
            {
                throw loadError;
            }

            context.Error.WriteLine("albertgen serve: stopped.");
            return 0;
        });
        return command;
    }

    /// <summary>A hub id names itself; a folder is named by its folder name (the server's default); the default model is "shakespeare".</summary>
    private static string? ModelName(string? given) =>
        string.IsNullOrEmpty(given) ? "shakespeare" : Directory.Exists(given) ? null : given;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
