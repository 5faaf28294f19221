using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Mcp.RoundTrips;

/// <summary>Which replica this is, and the address another replica reaches it at to continue a call held here.</summary>
internal sealed class ReplicaIdentity(IServer server, IOptionsMonitor<McpOptions> options)
{
    public string Id { get; } = HeldCalls.NewId();

    /// <summary><see cref="McpOptions.ReplicaAddress"/>, else the first listening address; null when there is none (in-memory test server).</summary>
    public string? Address
    {
        get
        {
            if (options.CurrentValue.ReplicaAddress is { } configured)
            {
                return configured.ToString().TrimEnd('/');
            }

            var listening = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            if (listening is null || !Uri.TryCreate(listening.Replace("://+", "://localhost").Replace("://*", "://localhost"), UriKind.Absolute, out var uri))
            {
                return null;
            }

            var host = uri.Host is "0.0.0.0" or "[::]" or "::" ? "localhost" : uri.Host;
            return new UriBuilder(uri) { Host = host }.Uri.ToString().TrimEnd('/');
        }
    }
}
