using Gateway.Contracts.Configuration;
using Gateway.HealthMonitor.Breakers;
using Gateway.HealthMonitor.Leadership;
using Gateway.HealthMonitor.Monitoring;
using Microsoft.Extensions.Options;

namespace Gateway.HealthMonitor.Probes;

/// <summary>
/// Probes every HTTP backend each <see cref="HealthMonitorOptions.ProbeInterval"/>, on the leader only, each probe
/// bounded by <see cref="HealthMonitorOptions.ProbeTimeout"/>. Stdio backends are child processes of each proxy, so
/// the monitor cannot reach them: their health comes from passive outcome reports alone. LLM providers likewise.
/// </summary>
public sealed class ProbeScheduler(
    AuthoritativeBreakers breakers,
    LeadershipState leadership,
    McpPingProbe mcpPing,
    HealthPathProbe healthPath,
    IOptions<HealthMonitorOptions> options,
    TimeProvider timeProvider) : BackgroundService
{
    public const string HttpClientName = "health-probes";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ProbeInterval, timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (leadership.IsLeader)
            {
                await ProbeAllAsync(stoppingToken);
            }
        }
    }

    /// <summary>Probes every HTTP backend once, in parallel, and records the results.</summary>
    internal Task ProbeAllAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(breakers.Backends
            .Where(b => b.Backend is { Transport: BackendTransport.Http, Url: not null })
            .Select(b => ProbeAsync(b.Backend!, cancellationToken)));

    private async Task ProbeAsync(BackendOptions backend, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.Value.ProbeTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        ProbeResult result;
        try
        {
            result = string.IsNullOrEmpty(backend.HealthPath)
                ? await mcpPing.ProbeAsync(backend, linked.Token)
                : await healthPath.ProbeAsync(backend, linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            result = ProbeResult.Failed($"timeout after {options.Value.ProbeTimeout.TotalMilliseconds:0} ms");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever the backend does wrong is its failure, never the scheduler's.
            result = ProbeResult.Failed(ex.Message);
        }

        breakers.RecordProbe(backend.Name, result.Success, result.Error);
    }
}
