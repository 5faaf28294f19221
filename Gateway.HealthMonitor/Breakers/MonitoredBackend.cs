using Gateway.Contracts.Circuit;
using Gateway.Contracts.Configuration;
using Gateway.Contracts.Messages;

namespace Gateway.HealthMonitor.Breakers;

/// <summary>
/// Everything the monitor knows about one backend or provider: its authoritative breaker, active probe health and
/// passive outcome totals, and its recent transitions. Guarded by <see cref="Gate"/>.
/// </summary>
public sealed class MonitoredBackend
{
    private readonly Queue<CircuitStateChanged> _history = new();
    private readonly int _historyLength;

    internal MonitoredBackend(string name, BackendOptions? backend, ProviderOptions? provider, CircuitBreakerSettings settings, TimeProvider timeProvider, int historyLength)
    {
        Name = name;
        Backend = backend;
        Provider = provider;
        Machine = new CircuitBreakerStateMachine(settings, timeProvider);
        _historyLength = historyLength;
    }

    public string Name { get; }

    /// <summary>The MCP server's configuration, or null for an LLM provider.</summary>
    public BackendOptions? Backend { get; internal set; }

    /// <summary>The LLM provider's configuration, or null for an MCP server.</summary>
    public ProviderOptions? Provider { get; internal set; }

    /// <summary>What <c>GET /api/backends</c> calls it: <c>http</c> or <c>stdio</c> for an MCP server, <c>provider</c> for an LLM provider.</summary>
    public string Kind => Backend is { } backend ? backend.Transport.ToString().ToLowerInvariant() : "provider";

    internal Lock Gate { get; } = new();

    internal CircuitBreakerStateMachine Machine { get; }

    /// <summary>Null until the probes have crossed a threshold either way.</summary>
    public bool? Healthy { get; internal set; }

    public int ConsecutiveProbeSuccesses { get; internal set; }

    public int ConsecutiveProbeFailures { get; internal set; }

    public DateTimeOffset? LastProbeAt { get; internal set; }

    public string? LastProbeError { get; internal set; }

    public long PassiveSuccesses { get; internal set; }

    public long PassiveFailures { get; internal set; }

    /// <summary>Sequence of the last circuit transition committed or adopted for this backend.</summary>
    public long CircuitSequence { get; internal set; }

    /// <summary>Sequence of the last health change committed or adopted for this backend.</summary>
    public long HealthSequence { get; internal set; }

    /// <summary>Recent transitions, oldest first; call under <see cref="Gate"/>.</summary>
    internal CircuitStateChanged[] History() => [.. _history];

    internal void Remember(CircuitStateChanged change)
    {
        CircuitSequence = change.Sequence;
        _history.Enqueue(change);
        while (_history.Count > _historyLength)
        {
            _history.Dequeue();
        }
    }
}
