using Microsoft.Extensions.Options;

namespace Gateway.HealthMonitor.Tests.Fixtures;

/// <summary>Options that never change, for types built without a host.</summary>
internal sealed class StaticOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
