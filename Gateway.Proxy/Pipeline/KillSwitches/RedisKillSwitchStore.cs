using System.Text.Json;
using Gateway.Contracts.Messages;
using StackExchange.Redis;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>
/// Kill switches in one Redis hash, <c>gateway:kill-switches</c>: field <c>global</c>, <c>backend:&lt;name&gt;</c> or
/// <c>tool:&lt;name&gt;</c>; value <c>{"actor":..,"reason":..,"at":..}</c>. Shared by every replica and kept across restarts.
/// </summary>
public sealed class RedisKillSwitchStore(IConnectionMultiplexer redis) : IKillSwitchStore
{
    public const string Key = "gateway:kill-switches";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<IReadOnlyList<KillSwitch>> ReadAllAsync(CancellationToken cancellationToken)
    {
        var entries = await Guard(redis.GetDatabase().HashGetAllAsync(Key), cancellationToken);
        var switches = new List<KillSwitch>(entries.Length);
        foreach (var entry in entries)
        {
            if (TryParseField(entry.Name, out var scope, out var name)
                && JsonSerializer.Deserialize<StoredValue>((string)entry.Value!, Json) is { } value)
            {
                switches.Add(new KillSwitch(scope, name, value.Actor, value.Reason, value.At));
            }
        }

        return switches;
    }

    public Task SetAsync(KillSwitch killSwitch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(killSwitch);
        var value = JsonSerializer.Serialize(new StoredValue(killSwitch.Actor, killSwitch.Reason, killSwitch.At), Json);
        return Guard(redis.GetDatabase().HashSetAsync(Key, Field(killSwitch.Scope, killSwitch.Name), value), cancellationToken);
    }

    public Task<bool> RemoveAsync(KillSwitchScope scope, string name, CancellationToken cancellationToken) =>
        Guard(redis.GetDatabase().HashDeleteAsync(Key, Field(scope, name)), cancellationToken);

    private static async Task<T> Guard<T>(Task<T> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await operation.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new KillSwitchStoreUnavailableException($"Kill switches in Redis are unavailable: {ex.Message}", ex);
        }
    }

    internal static string Field(KillSwitchScope scope, string name) => scope switch
    {
        KillSwitchScope.Global => "global",
        KillSwitchScope.Backend => "backend:" + name,
        KillSwitchScope.Provider => "provider:" + name,
        KillSwitchScope.Model => "model:" + name,
        _ => "tool:" + name,
    };

    private static bool TryParseField(string? field, out KillSwitchScope scope, out string name)
    {
        const string backendPrefix = "backend:", toolPrefix = "tool:", providerPrefix = "provider:", modelPrefix = "model:";
        (scope, name) = field switch
        {
            "global" => (KillSwitchScope.Global, ""),
            not null when field.StartsWith(backendPrefix, StringComparison.Ordinal) => (KillSwitchScope.Backend, field[backendPrefix.Length..]),
            not null when field.StartsWith(toolPrefix, StringComparison.Ordinal) => (KillSwitchScope.Tool, field[toolPrefix.Length..]),
            not null when field.StartsWith(providerPrefix, StringComparison.Ordinal) => (KillSwitchScope.Provider, field[providerPrefix.Length..]),
            not null when field.StartsWith(modelPrefix, StringComparison.Ordinal) => (KillSwitchScope.Model, field[modelPrefix.Length..]),
            _ => ((KillSwitchScope)(-1), ""),
        };
        return scope >= 0;
    }

    private sealed record StoredValue(string Actor, string? Reason, DateTimeOffset At);
}
