using Gateway.Contracts.Circuit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Gateway.Proxy.Circuit;

/// <summary>
/// This replica's view of the circuit gate. Degraded, never Unhealthy, when Redis or the bus is gone: the replica
/// still serves, gating on its last known state and its local breakers (fail-static).
/// </summary>
public sealed class CircuitGateHealthCheck(
    CircuitBreakerRegistry registry,
    CircuitSyncStatus status,
    CircuitPropagation propagation,
    IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var redisConnected = services.GetService<IConnectionMultiplexer>()?.IsConnected ?? false;
        var data = new Dictionary<string, object>
        {
            ["snapshotLoaded"] = status.SnapshotLoaded,
            ["snapshotSequence"] = status.SnapshotSequence,
            ["lastSnapshotError"] = status.LastSnapshotError ?? "",
            ["lastAppliedSequence"] = status.LastAppliedSequence,
            ["lastTransitionAt"] = status.LastTransitionAt?.ToString("O") ?? "",
            ["ignoredTransitions"] = status.IgnoredTransitions,
            ["redis"] = redisConnected ? "connected" : "disconnected",
            ["bus"] = status.BusConnected ? "connected" : "disconnected",
            ["backends"] = registry.Circuits.ToDictionary(c => c.Name, c => c.State.ToString()),
            // The last monitor transition each breaker applied, and how long it took from the monitor's decision.
            ["transitions"] = propagation.Last.ToDictionary(p => p.Key, p => new
            {
                sequence = p.Value.Sequence,
                state = p.Value.State.ToString(),
                via = p.Value.Via,
                decidedAt = p.Value.DecidedAt.ToString("O"),
                appliedAt = p.Value.AppliedAt.ToString("O"),
                propagationMs = p.Value.PropagationMilliseconds,
            }),
        };

        var problems = new List<string>(2);
        if (!redisConnected || !status.SnapshotLoaded)
        {
            problems.Add(status.SnapshotLoaded ? "Redis unreachable" : "snapshot not loaded");
        }

        if (!status.BusConnected)
        {
            problems.Add("transition queue not connected");
        }

        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy("following the health monitor", data)
            : HealthCheckResult.Degraded($"fail-static ({string.Join(", ", problems)}): last known state and local breakers", data: data));
    }

    /// <summary>A backend can take calls unless its circuit is Open or Isolated (HalfOpen admits its probe).</summary>
    public static bool IsRoutable(CircuitState state) => state is CircuitState.Closed or CircuitState.HalfOpen;
}
