using System.Collections.Concurrent;
using Gateway.Contracts.Circuit;
using Gateway.Contracts.Configuration;
using Gateway.Contracts.Messages;
using Gateway.HealthMonitor.Leadership;
using Gateway.HealthMonitor.Monitoring;
using Gateway.HealthMonitor.Transitions;
using Microsoft.Extensions.Options;

namespace Gateway.HealthMonitor.Breakers;

/// <summary>
/// One authoritative breaker per configured backend and provider, fed by active probes and by the outcome reports of
/// every proxy replica. On the leader every decision is queued for a sequence number and publication; a standby
/// ignores inputs and follows the leader's transitions instead, so it is warm when it takes over.
/// </summary>
public sealed class AuthoritativeBreakers : IDisposable
{
    /// <summary>Actor of automatic transitions.</summary>
    public const string MonitorActor = "monitor";

    /// <summary>Reason of a same-state transition that writes back a state the Redis snapshot lost.</summary>
    public const string ReassertedReason = "re-asserted after Redis data loss";

    private readonly ConcurrentDictionary<string, MonitoredBackend> _backends = new(StringComparer.Ordinal);
    private readonly LeadershipState _leadership;
    private readonly PendingTransitions _queue;
    private readonly TimeProvider _timeProvider;
    private readonly HealthMonitorOptions _options;
    private readonly IDisposable? _subscription;
    private readonly Lock _syncGate = new();

    public AuthoritativeBreakers(
        IOptionsMonitor<GatewayOptions> gateway,
        IOptions<HealthMonitorOptions> options,
        LeadershipState leadership,
        PendingTransitions queue,
        TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _leadership = leadership;
        _queue = queue;
        _timeProvider = timeProvider;
        Synchronize(gateway.CurrentValue);
        _subscription = gateway.OnChange(Synchronize);
    }

    /// <summary>The highest sequence committed or adopted by this replica, across backends.</summary>
    public long HighestSequence => _backends.Values.Select(b => Math.Max(b.CircuitSequence, b.HealthSequence)).DefaultIfEmpty().Max();

    public IEnumerable<MonitoredBackend> Backends => _backends.Values.OrderBy(b => b.Name, StringComparer.Ordinal);

    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MonitoredBackend? backend) =>
        _backends.TryGetValue(name, out backend);

    /// <summary>Aggregates one replica's passive outcomes. Only a closed or half-open breaker listens.</summary>
    public void RecordOutcomes(BackendOutcomeReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (!_leadership.IsLeader || !_backends.TryGetValue(report.Backend, out var backend))
        {
            return;
        }

        lock (backend.Gate)
        {
            backend.PassiveSuccesses += report.Successes;
            backend.PassiveFailures += report.Failures;

            // A report only carries counts, not their order: successes go first so that a report holding failures
            // ends on them, which errs towards opening (a success while half-open still closes before they count).
            for (var i = 0; i < report.Successes && backend.Machine.State is CircuitState.Closed or CircuitState.HalfOpen; i++)
            {
                Decide(backend, backend.Machine.RecordSuccess(), MonitorActor);
            }

            for (var i = 0; i < report.Failures && backend.Machine.State is CircuitState.Closed or CircuitState.HalfOpen; i++)
            {
                Decide(backend, backend.Machine.RecordFailure("", report.LastError ?? "failure reported by " + report.Source), MonitorActor);
            }
        }
    }

    /// <summary>
    /// Records one active probe. Health flips only after the healthy/unhealthy threshold, so one blip does not flap;
    /// turning unhealthy opens the circuit, and while half-open the probe's result decides it.
    /// </summary>
    public void RecordProbe(string name, bool success, string? error)
    {
        if (!_leadership.IsLeader || !_backends.TryGetValue(name, out var backend))
        {
            return;
        }

        lock (backend.Gate)
        {
            var now = _timeProvider.GetUtcNow();
            backend.LastProbeAt = now;
            Decide(backend, backend.Machine.Refresh(), MonitorActor);
            if (success)
            {
                backend.ConsecutiveProbeSuccesses++;
                backend.ConsecutiveProbeFailures = 0;
                backend.LastProbeError = null;
                if (backend.Healthy != true && backend.ConsecutiveProbeSuccesses >= _options.HealthyThreshold)
                {
                    ChangeHealth(backend, true, "probe succeeded", now);
                }

                if (backend.Machine.State == CircuitState.HalfOpen)
                {
                    Decide(backend, backend.Machine.RecordSuccess(), MonitorActor);
                }
            }
            else
            {
                backend.ConsecutiveProbeFailures++;
                backend.ConsecutiveProbeSuccesses = 0;
                backend.LastProbeError = error;
                var reason = "probe: " + error;
                if (backend.Healthy != false && backend.ConsecutiveProbeFailures >= _options.UnhealthyThreshold)
                {
                    ChangeHealth(backend, false, reason, now);
                    Decide(backend, backend.Machine.Trip(reason), MonitorActor);
                }
                else if (backend.Machine.State == CircuitState.HalfOpen)
                {
                    Decide(backend, backend.Machine.RecordFailure("probe", error ?? "failed"), MonitorActor);
                }
            }
        }
    }

    /// <summary>Moves Open breakers whose break has passed to HalfOpen, so every replica lets one probe through.</summary>
    public void Tick()
    {
        if (!_leadership.IsLeader)
        {
            return;
        }

        foreach (var backend in _backends.Values)
        {
            lock (backend.Gate)
            {
                Decide(backend, backend.Machine.Refresh(), MonitorActor);
            }
        }
    }

    /// <summary>Isolates a backend until reset; returns the committed transition (null if nothing changed or not leader).</summary>
    public Task<CircuitStateChanged?> IsolateAsync(MonitoredBackend backend, string actor, string? reason) =>
        Manual(backend, actor, m => m.Isolate(reason ?? $"isolated by {actor}"));

    /// <summary>Closes a backend's breaker and clears its counters, whatever its state.</summary>
    public Task<CircuitStateChanged?> ResetAsync(MonitoredBackend backend, string actor) =>
        Manual(backend, actor, m => m.Reset($"reset by {actor}"));

    /// <summary>Follows a transition decided by the leader (bus event or snapshot) when it is newer than ours.</summary>
    public void Adopt(CircuitStateChanged change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (!_backends.TryGetValue(change.Backend, out var backend))
        {
            return;
        }

        lock (backend.Gate)
        {
            if (change.Sequence <= backend.CircuitSequence)
            {
                return;
            }

            backend.Machine.Adopt(change.State, change.TripCount, change.Reason, change.OpenUntil);
            backend.Remember(change);
        }
    }

    public void Adopt(BackendHealthChanged change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (!_backends.TryGetValue(change.Backend, out var backend))
        {
            return;
        }

        lock (backend.Gate)
        {
            if (change.Sequence > backend.HealthSequence)
            {
                backend.HealthSequence = change.Sequence;
                backend.Healthy = change.Healthy;
            }
        }
    }

    /// <summary>
    /// After taking the lead: re-publishes, as a same-state transition, every breaker state the snapshot lacks or
    /// holds older than this replica knows it (Redis lost its data), so proxies that start later still find it.
    /// </summary>
    public void ReassertMissing(CircuitSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var stored = snapshot.Circuits.ToDictionary(c => c.Backend, c => c.Sequence, StringComparer.Ordinal);
        foreach (var backend in _backends.Values)
        {
            lock (backend.Gate)
            {
                if (backend.CircuitSequence > 0 && stored.GetValueOrDefault(backend.Name) < backend.CircuitSequence)
                {
                    var machine = backend.Machine;
                    _queue.Enqueue(new PendingCircuitChange(backend, new CircuitStateChanged(
                        0, backend.Name, machine.State, machine.State, machine.TripCount, ReassertedReason,
                        MonitorActor, _timeProvider.GetUtcNow(), machine.OpenUntil)));
                }
            }
        }
    }

    public void Dispose() => _subscription?.Dispose();

    private Task<CircuitStateChanged?> Manual(MonitoredBackend backend, string actor, Func<CircuitBreakerStateMachine, CircuitTransition?> action)
    {
        if (!_leadership.IsLeader)
        {
            return Task.FromResult<CircuitStateChanged?>(null);
        }

        var committed = new TaskCompletionSource<CircuitStateChanged?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (backend.Gate)
        {
            if (!Decide(backend, action(backend.Machine), actor, committed))
            {
                return Task.FromResult<CircuitStateChanged?>(null);
            }
        }

        return committed.Task;
    }

    private bool Decide(MonitoredBackend backend, CircuitTransition? transition, string actor, TaskCompletionSource<CircuitStateChanged?>? committed = null)
    {
        if (transition is null)
        {
            return false;
        }

        var change = new CircuitStateChanged(
            0, backend.Name, transition.To, transition.From, transition.TripCount, transition.Reason, actor, transition.At, transition.OpenUntil);
        _queue.Enqueue(new PendingCircuitChange(backend, change, committed));
        return true;
    }

    private void ChangeHealth(MonitoredBackend backend, bool healthy, string reason, DateTimeOffset at)
    {
        backend.Healthy = healthy;
        _queue.Enqueue(new PendingHealthChange(backend, new BackendHealthChanged(0, backend.Name, healthy, reason, at)));
    }

    private void Synchronize(GatewayOptions options)
    {
        lock (_syncGate)
        {
            var wanted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var backend in options.Backends)
            {
                Upsert(backend.Name, backend, null, (backend.CircuitBreaker ?? new()).Resolve(options.CircuitBreaker), wanted);
            }

            foreach (var provider in options.Providers)
            {
                Upsert(provider.Name, null, provider, (provider.CircuitBreaker ?? new()).Resolve(options.CircuitBreaker), wanted);
            }

            foreach (var name in _backends.Keys.Where(n => !wanted.Contains(n)))
            {
                _backends.TryRemove(name, out _);
            }
        }
    }

    private void Upsert(string name, BackendOptions? backend, ProviderOptions? provider, CircuitBreakerSettings settings, HashSet<string> wanted)
    {
        if (!wanted.Add(name))
        {
            return;
        }

        if (_backends.TryGetValue(name, out var existing))
        {
            lock (existing.Gate)
            {
                existing.Backend = backend;
                existing.Provider = provider;
                existing.Machine.Settings = settings;
            }
        }
        else
        {
            _backends[name] = new MonitoredBackend(name, backend, provider, settings, _timeProvider, _options.HistoryLength);
        }
    }
}
