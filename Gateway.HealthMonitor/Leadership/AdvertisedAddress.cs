using Gateway.HealthMonitor.Monitoring;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Gateway.HealthMonitor.Leadership;

/// <summary>
/// Where other monitor replicas reach this one's API: <see cref="HealthMonitorOptions.AdvertisedUrl"/> when set,
/// otherwise the first address the server listens on (a wildcard host becomes this machine's name). The leader writes
/// it beside its lease, so a standby can forward admin actions to it.
/// </summary>
public sealed class AdvertisedAddress(IOptions<HealthMonitorOptions> options, IServer? server = null)
{
    private static readonly string[] WildcardHosts = ["0.0.0.0", "[::]", "+", "*"];

    /// <summary>The base address (no trailing slash), or empty while the server has not started listening.</summary>
    public string Value
    {
        get
        {
            if (options.Value.AdvertisedUrl is { } configured)
            {
                return configured.ToString().TrimEnd('/');
            }

            var listening = server?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            if (listening is null)
            {
                return "";
            }

            foreach (var wildcard in WildcardHosts)
            {
                listening = listening.Replace("://" + wildcard + ":", "://" + Environment.MachineName + ":", StringComparison.Ordinal);
            }

            return listening.TrimEnd('/');
        }
    }
}
