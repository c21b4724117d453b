using AlbertGen.Cluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Storage;
using Orleans.TestingHost;

namespace AlbertGen.Cluster.Tests;

/// <summary>In-process Orleans test clusters of AlbertGen silos: the default model, quick polls and failure detection, process-wide storage.</summary>
internal static class TestClusters
{
    public static async Task<TestCluster> Start(int silos)
    {
        var builder = new TestClusterBuilder((short)silos);
        builder.AddSiloBuilderConfigurator<Silos>();
        TestCluster cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private sealed class Silos : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.Services.AddKeyedSingleton<IGrainStorage>(ClusterNames.Storage, (services, _) => ActivatorUtilities.CreateInstance<ProcessWideGrainStorage>(services));
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
            });
            silo.AddAlbertGenWorker(o =>
            {
                o.DefaultModelDirectory = ClusterTestFiles.DefaultModel;
                o.PollInterval = TimeSpan.FromMilliseconds(100);
            });
        }
    }
}
