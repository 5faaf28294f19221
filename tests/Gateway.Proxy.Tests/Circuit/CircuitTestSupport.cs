using System.Diagnostics.CodeAnalysis;
using Gateway.Contracts.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

[assembly: SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Scope = "namespaceanddescendants",
    Target = "~N:Gateway.Proxy.Tests.Circuit", Justification = "Test names read as sentences.")]

namespace Gateway.Proxy.Tests.Circuit;

/// <summary>An options monitor whose value a test replaces to simulate a configuration reload.</summary>
internal sealed class TestOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    private readonly List<Action<T, string?>> _listeners = [];

    public T CurrentValue { get; private set; } = value;

    public T Get(string? name) => CurrentValue;

    public IDisposable OnChange(Action<T, string?> listener)
    {
        _listeners.Add(listener);
        return new Subscription(() => _listeners.Remove(listener));
    }

    public void Set(T value)
    {
        CurrentValue = value;
        foreach (var listener in _listeners.ToArray())
        {
            listener(value, null);
        }
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}

/// <summary>Collects log entries so tests can pin the warnings a behaviour must emit.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public List<(LogLevel Level, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, formatter(state, exception)));
        }
    }
}

internal static class CircuitTestConfig
{
    /// <summary>Two backends that trip after 3 consecutive failures, break 5 s, queued callers wait up to 10 s.</summary>
    public static GatewayOptions TwoBackends() => new()
    {
        Backends =
        [
            new BackendOptions { Name = "alpha", Url = new Uri("http://127.0.0.1:1/mcp") },
            new BackendOptions { Name = "beta", Url = new Uri("http://127.0.0.1:1/mcp") },
        ],
        Providers = [new ProviderOptions { Name = "llm", BaseUrl = new Uri("http://127.0.0.1:1/v1") }],
        CircuitBreaker = new CircuitBreakerOptions
        {
            ConsecutiveFailures = 3,
            BreakDuration = TimeSpan.FromSeconds(5),
            ProbeWaitTimeout = TimeSpan.FromSeconds(10),
        },
    };
}
