using Gateway.Contracts.Configuration;
using Gateway.HealthMonitor.Breakers;
using Gateway.HealthMonitor.Leadership;
using Gateway.HealthMonitor.Monitoring;
using Microsoft.Extensions.Options;

namespace Gateway.HealthMonitor.Probes;

/// <summary>
/// Probes every HTTP backend and every LLM provider each <see cref="HealthMonitorOptions.ProbeInterval"/>, on the
/// leader only, each probe bounded by <see cref="HealthMonitorOptions.ProbeTimeout"/>. Stdio backends are child
/// processes of each proxy, so the monitor cannot reach them: their health comes from passive outcome reports alone.
/// </summary>
public sealed class ProbeScheduler(
    AuthoritativeBreakers breakers,
    LeadershipState leadership,
    McpPingProbe mcpPing,
    HealthPathProbe healthPath,
    ProviderProbe providerProbe,
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

    /// <summary>Probes every HTTP backend and provider once, in parallel, and records the results.</summary>
    internal Task ProbeAllAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(breakers.Backends
            .Select(target => (target.Name, Probe: ProbeFor(target)))
            .Where(t => t.Probe is not null)
            .Select(t => ProbeAsync(t.Name, t.Probe!, cancellationToken)));

    /// <summary>The probe that fits the target, or null when the monitor cannot reach it (stdio).</summary>
    private Func<CancellationToken, Task<ProbeResult>>? ProbeFor(MonitoredBackend target) => (target.Provider, target.Backend) switch
    {
        ({ } provider, _) => token => providerProbe.ProbeAsync(provider, token),
        (_, { Transport: BackendTransport.Http, Url: not null, HealthPath: null or "" } backend) => token => mcpPing.ProbeAsync(backend, token),
        (_, { Transport: BackendTransport.Http, Url: not null } backend) => token => healthPath.ProbeAsync(backend, token),
        _ => null,
    };

    private async Task ProbeAsync(string name, Func<CancellationToken, Task<ProbeResult>> probe, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.Value.ProbeTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        ProbeResult result;
        try
        {
            result = await probe(linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            result = ProbeResult.Failed($"timeout after {options.Value.ProbeTimeout.TotalMilliseconds:0} ms");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever the target does wrong is its failure, never the scheduler's.
            result = ProbeResult.Failed(ex.Message);
        }

        breakers.RecordProbe(name, result.Success, result.Error);
    }
}
