using System.Collections.Concurrent;
using Gateway.Contracts.Circuit;
using Gateway.Contracts.Configuration;
using Gateway.Contracts.Messages;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Circuit;

/// <summary>
/// One breaker per configured backend and LLM provider, kept in step with configuration. The local breakers trip on
/// this replica's own observations; the monitor's transitions are applied on top through <see cref="Apply"/>.
/// </summary>
public sealed class CircuitBreakerRegistry : IDisposable
{
    private readonly ConcurrentDictionary<string, BackendCircuit> _circuits = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<CircuitBreakerRegistry> _logger;
    private readonly IDisposable? _subscription;
    private readonly Lock _syncGate = new();

    public CircuitBreakerRegistry(IOptionsMonitor<GatewayOptions> options, TimeProvider timeProvider, ILogger<CircuitBreakerRegistry> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _timeProvider = timeProvider;
        _logger = logger;
        Synchronize(options.CurrentValue);
        _subscription = options.OnChange(Synchronize);
    }

    /// <summary>Names of every backend and provider with a breaker.</summary>
    public ICollection<string> Backends => _circuits.Keys;

    /// <summary>The breakers, for health endpoints and the outcome reporter.</summary>
    public ICollection<BackendCircuit> Circuits => _circuits.Values;

    /// <summary>
    /// Admission for one call: Normal on a closed circuit (or an unknown backend), the Probe to the first caller once
    /// an open circuit's break has passed, and a rejection while Open or Isolated. While a probe is in flight, other
    /// callers wait (up to the probe wait timeout) and all receive its result.
    /// </summary>
    public ValueTask<CircuitPermit> AcquirePermitAsync(string backend, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return _circuits.TryGetValue(backend, out var circuit)
            ? circuit.AcquireAsync(cancellationToken)
            : default;
    }

    /// <summary>The backend's state; Closed for an unknown backend, which is allowed.</summary>
    public CircuitState GetState(string backend) => _circuits.TryGetValue(backend, out var c) ? c.State : CircuitState.Closed;

    public int GetFailureCount(string backend) => _circuits.TryGetValue(backend, out var c) ? c.FailureCount : 0;

    public int GetTripCount(string backend) => _circuits.TryGetValue(backend, out var c) ? c.TripCount : 0;

    /// <summary>Applies a monitor transition if it is newer than what this replica holds for that backend.</summary>
    /// <returns>False for unknown backends and for duplicate or out-of-order transitions.</returns>
    public bool Apply(CircuitStateChanged change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return _circuits.TryGetValue(change.Backend, out var circuit) && circuit.Apply(change);
    }

    public void Dispose() => _subscription?.Dispose();

    private void Synchronize(GatewayOptions options)
    {
        var wanted = new Dictionary<string, CircuitBreakerSettings>(StringComparer.Ordinal);
        foreach (var backend in options.Backends)
        {
            wanted.TryAdd(backend.Name, (backend.CircuitBreaker ?? new()).Resolve(options.CircuitBreaker));
        }

        foreach (var provider in options.Providers)
        {
            wanted.TryAdd(provider.Name, (provider.CircuitBreaker ?? new()).Resolve(options.CircuitBreaker));
        }

        // Reloads can race each other; the lock keeps add/update/remove of one reload together.
        lock (_syncGate)
        {
            foreach (var (name, settings) in wanted)
            {
                if (_circuits.TryGetValue(name, out var existing))
                {
                    if (existing.Settings != settings)
                    {
                        existing.Settings = settings;
                    }
                }
                else
                {
                    _circuits[name] = new BackendCircuit(name, settings, _timeProvider, _logger);
                }
            }

            foreach (var name in _circuits.Keys)
            {
                if (!wanted.ContainsKey(name))
                {
                    _circuits.TryRemove(name, out _);
                }
            }
        }
    }
}
