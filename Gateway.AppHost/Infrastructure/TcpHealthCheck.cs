using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.AppHost.Infrastructure;

/// <summary>Healthy when the endpoint accepts a TCP connection: enough for servers that listen only once they serve.</summary>
internal sealed class TcpHealthCheck(EndpointReference endpoint) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!endpoint.IsAllocated)
        {
            return HealthCheckResult.Unhealthy($"{endpoint.EndpointName} has no port yet");
        }

        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(endpoint.Host, endpoint.Port, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (SocketException ex)
        {
            return HealthCheckResult.Unhealthy($"{endpoint.Host}:{endpoint.Port}: {ex.SocketErrorCode}");
        }
    }
}
