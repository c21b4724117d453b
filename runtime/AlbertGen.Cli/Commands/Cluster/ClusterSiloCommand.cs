using System.CommandLine;
using System.Runtime.InteropServices;
using AlbertGen.Cluster.Hosting;
using AlbertGen.Cluster.Jobs;
using AlbertGen.Cluster.Workers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace AlbertGen.Cli.Commands.Cluster;

/// <summary>
/// <c>albertgen cluster silo</c>: a worker silo in the foreground until SIGTERM or Ctrl-C, then it gives back its
/// running shard and leaves the cluster cleanly.
/// </summary>
internal static class ClusterSiloCommand
{
    private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(60);

    public static Command Create(CliContext context)
    {
        var connection = new ClusterConnectionOptions();
        var siloPort = new Option<int>("--silo-port") { Description = "Port for silo-to-silo traffic.", DefaultValueFactory = _ => 11111 };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Port clients (cluster run, status) connect to.", DefaultValueFactory = _ => 30000 };
        var advertise = new Option<string?>("--advertise") { Description = "The IP address other machines reach this silo at (default: this host's first IPv4 address)." };
        var models = new Option<string[]>("--model") { Description = "A model (directory or hub id) to find and hash at start-up (repeatable); jobs may name others." };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "HuggingFace cache folder for hub ids (default: $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)." };
        var kubernetes = new Option<bool>("--kubernetes")
        {
            Description = "Run as a Kubernetes pod: silo name and address from POD_NAME and POD_IP, deleted pods leave membership at once (automatic when KUBERNETES_SERVICE_HOST and POD_NAME are set).",
        };
        var readyFile = new Option<string?>("--ready-file")
        {
            Description = "A file created once the silo is an active member and deleted when it starts leaving (for a readiness probe: test -f FILE).",
        };
        var command = new Command("silo", "Run a worker silo until SIGTERM or Ctrl-C (then it leaves the cluster cleanly).")
        {
            siloPort, gatewayPort, advertise, models, cacheDir, kubernetes, readyFile,
        };
        connection.AddTo(command);
        var device = new DeviceOption();
        device.AddTo(command);

        // Synchronous on purpose: System.CommandLine gives asynchronous actions 2 s after a signal before it returns,
        // too short for a silo to hand back its shard and leave the membership table; this command handles SIGTERM and
        // SIGINT itself.
        command.SetAction(parse =>
        {
            TorchSharp.torch.Device runOn = device.Read(parse);
            var settings = new ClusterSiloSettings
            {
                Redis = parse.GetValue(connection.Redis)!,
                ClusterId = parse.GetValue(connection.ClusterId)!,
                SiloPort = parse.GetValue(siloPort),
                GatewayPort = parse.GetValue(gatewayPort),
                Advertise = parse.GetValue(advertise) is { } address ? ClusterHosting.ParseAddress(address) : null,
                Preload = parse.GetValue(models) ?? [],
                Kubernetes = parse.GetValue(kubernetes) || ClusterSiloSettings.InKubernetesPod(Environment.GetEnvironmentVariable),
            };
            ClusterHosting.CheckRedis(settings.Redis);

            // The silo process's one-time set-up for inference belongs here, before the host starts any shard.
            using var stop = new CancellationTokenSource();
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Leave);
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Leave);

            IHost host = ClusterHosting.BuildSilo(
                settings,
                worker =>
                {
                    worker.DefaultModelDirectory = DefaultModel.DirectoryIfShipped;
                    worker.HubCacheDirectory = parse.GetValue(cacheDir);
                    worker.Device = runOn;
                },
                logging => ClusterConnectionOptions.Logging(logging, LogLevel.Information, LogLevel.Warning));
            try
            {
                host.StartAsync(stop.Token).GetAwaiter().GetResult();
            }
            catch
            {
                host.Dispose();
                throw;
            }

            string endpoint = host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.Endpoint.ToString();
            string pod = settings.Kubernetes ? $" as Kubernetes pod {host.Services.GetRequiredService<ILocalSiloDetails>().Name}" : "";
            context.Error.WriteLine($"silo {endpoint} (gateway port {settings.GatewayPort}) joined cluster '{settings.ClusterId}' on Redis {settings.Redis}{pod}; SIGTERM or Ctrl-C leaves.");
            Preload(context, host.Services.GetRequiredService<ModelCatalog>(), settings.Preload);
            string? ready = parse.GetValue(readyFile);
            if (ready is not null)
            {
                AtomicFile.WriteAllText(ready, endpoint + "\n"); // a probe never reads it half-written
            }

            stop.Token.WaitHandle.WaitOne();
            if (ready is not null)
            {
                File.Delete(ready);
            }

            context.Error.WriteLine($"silo {endpoint}: leaving the cluster.");

            // Orleans goes on with its stop stages after the timeout; a silo whose Redis is gone would never end.
            if (!host.StopAsync(LeaveTimeout).Wait(LeaveTimeout + TimeSpan.FromSeconds(10)))
            {
                context.Error.WriteLine($"silo {endpoint}: did not leave within {LeaveTimeout.TotalSeconds:0} s (is Redis reachable?); "
                    + "exiting anyway, membership will declare it dead and its shard will run elsewhere.");
                return CliApp.InternalError;
            }

            host.Dispose();
            context.Error.WriteLine($"silo {endpoint}: left.");
            return 0;

            void Leave(PosixSignalContext signal)
            {
                signal.Cancel = true;
                stop.Cancel();
            }
        });
        return command;
    }

    private static void Preload(CliContext context, ModelCatalog catalog, IReadOnlyList<string> models)
    {
        IEnumerable<ModelReference> references = models.Count == 0 ? [new ModelReference()] : models.Select(m => new ModelReference { Model = m });
        foreach (ModelReference model in references)
        {
            try
            {
                (string directory, string sha256) = catalog.Resolve(model);
                context.Error.WriteLine($"model {model}: {directory} (SHA-256 {sha256}).");
            }
            catch (Exception e) when (CliErrors.IsInputError(e))
            {
                context.Error.WriteLine($"model {model}: not usable here: {CliErrors.Describe(e)}");
            }
        }
    }
}
