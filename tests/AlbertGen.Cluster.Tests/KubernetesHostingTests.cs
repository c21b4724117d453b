using System.Net;
using AlbertGen.Cluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting.Kubernetes;

namespace AlbertGen.Cluster.Tests;

/// <summary>
/// <c>cluster silo --kubernetes</c>'s configuration, built in-process from a pod's environment (no Kubernetes here):
/// the silo's name and address come from the pod, its cluster and service ids stay the cluster's.
/// </summary>
public sealed class KubernetesHostingTests
{
    private static readonly Dictionary<string, string> Pod = new()
    {
        ["POD_NAME"] = "albertgen-silo-6d8f9c7b5-x2k4q",
        ["POD_NAMESPACE"] = "batch",
        ["POD_IP"] = "10.244.1.17",
        ["ORLEANS_CLUSTER_ID"] = "from-the-pod-label",
        ["ORLEANS_SERVICE_ID"] = "another-service",
    };

    private static readonly ClusterSiloSettings Settings = new() { Redis = "127.0.0.1:1", ClusterId = "prod", SiloPort = 11211, GatewayPort = 30100 };

    [Fact]
    public void A_kubernetes_silo_is_named_and_addressed_as_its_pod_and_keeps_the_cluster_and_service_ids()
    {
        using IHost host = InPod(() => ClusterHosting.BuildSilo(Settings with { Kubernetes = true }, _ => { }));
        IServiceProvider services = host.Services;

        Assert.Equal("albertgen-silo-6d8f9c7b5-x2k4q", services.GetRequiredService<IOptions<SiloOptions>>().Value.SiloName);
        EndpointOptions endpoints = services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(IPAddress.Parse("10.244.1.17"), endpoints.AdvertisedIPAddress);
        Assert.Equal((11211, 30100), (endpoints.SiloPort, endpoints.GatewayPort));
        ClusterOptions cluster = services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal(("prod", ClusterNames.ServiceId), (cluster.ClusterId, cluster.ServiceId));
        Assert.NotNull(services.GetService<IOptions<KubernetesHostingOptions>>());
    }

    [Fact]
    public void An_advertised_address_given_wins_over_the_pod_ip_and_a_silo_without_the_option_ignores_the_pod()
    {
        using (IHost advertised = InPod(() => ClusterHosting.BuildSilo(Settings with { Kubernetes = true, Advertise = IPAddress.Parse("192.0.2.7") }, _ => { })))
        {
            Assert.Equal(IPAddress.Parse("192.0.2.7"), advertised.Services.GetRequiredService<IOptions<EndpointOptions>>().Value.AdvertisedIPAddress);
        }

        using IHost plain = InPod(() => ClusterHosting.BuildSilo(Settings, _ => { }));
        Assert.NotEqual("albertgen-silo-6d8f9c7b5-x2k4q", plain.Services.GetRequiredService<IOptions<SiloOptions>>().Value.SiloName);
        Assert.NotEqual(IPAddress.Parse("10.244.1.17"), plain.Services.GetRequiredService<IOptions<EndpointOptions>>().Value.AdvertisedIPAddress);
    }

    [Fact]
    public void A_kubernetes_silo_without_a_pod_ip_or_an_advertised_address_is_refused_naming_what_to_set()
    {
        string? saved = Environment.GetEnvironmentVariable("POD_IP");
        Environment.SetEnvironmentVariable("POD_IP", null);
        try
        {
            var error = Assert.Throws<ArgumentException>(() => ClusterHosting.BuildSilo(Settings with { Kubernetes = true }, _ => { }).Dispose());
            Assert.Equal("--kubernetes: POD_IP is not set; set it from the downward API (fieldRef status.podIP) or give --advertise.", error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("POD_IP", saved);
        }
    }

    [Fact]
    public void A_pod_is_recognised_by_the_service_host_every_pod_has_and_the_pod_name_the_manifest_passes()
    {
        Assert.True(ClusterSiloSettings.InKubernetesPod(v => v is "KUBERNETES_SERVICE_HOST" or "POD_NAME" ? "x" : null));
        Assert.False(ClusterSiloSettings.InKubernetesPod(v => v == "KUBERNETES_SERVICE_HOST" ? "10.96.0.1" : null));
        Assert.False(ClusterSiloSettings.InKubernetesPod(v => v == "POD_NAME" ? "x" : null));
    }

    /// <summary>Builds (without starting) with the pod's variables set, restoring the process's afterwards.</summary>
    private static IHost InPod(Func<IHost> build)
    {
        var saved = Pod.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        try
        {
            foreach ((string name, string value) in Pod)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            IHost host = build();

            // Options are read lazily; read them while the pod's variables are set.
            _ = host.Services.GetRequiredService<IOptions<SiloOptions>>().Value;
            _ = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
            _ = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
            _ = host.Services.GetService<IOptions<KubernetesHostingOptions>>()?.Value;
            return host;
        }
        finally
        {
            foreach ((string name, string? value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}
