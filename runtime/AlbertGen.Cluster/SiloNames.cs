using Orleans.Runtime;

namespace AlbertGen.Cluster;

/// <summary>How silos are named to people: host:port rather than Orleans' parsable address with its generation.</summary>
public static class SiloNames
{
    /// <summary>The silo's endpoint (<c>10.0.0.5:11111</c>) from its parsable address.</summary>
    public static string Display(string parsableAddress)
    {
        try
        {
            return SiloAddress.FromParsableString(parsableAddress).Endpoint.ToString();
        }
        catch (FormatException)
        {
            return parsableAddress;
        }
    }
}
