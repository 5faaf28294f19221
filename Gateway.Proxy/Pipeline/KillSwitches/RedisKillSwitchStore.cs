using System.Text.Json;
using Gateway.Contracts.Messages;
using StackExchange.Redis;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>
/// Kill switches in one Redis hash, <c>gateway:kill-switches</c>: field <c>global</c>, <c>backend:&lt;name&gt;</c>,
/// <c>tool:&lt;name&gt;</c>, <c>provider:&lt;name&gt;</c> or <c>model:&lt;name&gt;</c>; value
/// <c>{"actor":..,"reason":..,"at":..}</c>. Shared by every replica and kept across restarts.
/// </summary>
/// <remarks>
/// Two kinds of bookkeeping field share the hash, so that they vanish exactly when the switches do: <c>epoch</c>, a
/// random id written by the first read that finds none (a different epoch means Redis lost its data since), and
/// <c>released:&lt;field&gt;</c>, left by each release so that a replica that knew the switch from before a loss does
/// not write it back. Every operation is one atomic script or command, so no read sees the epoch of one data set with
/// the switches of another.
/// </remarks>
public sealed class RedisKillSwitchStore(IConnectionMultiplexer redis) : IKillSwitchStore
{
    public const string Key = "gateway:kill-switches";
    public const string EpochField = "epoch";
    public const string ReleasedPrefix = "released:";

    private const string ReadScript = """
        redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
        return redis.call('HGETALL', KEYS[1])
        """;

    private const string SetScript = """
        redis.call('HDEL', KEYS[1], 'released:' .. ARGV[1])
        return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        """;

    private const string RemoveScript = """
        redis.call('HSET', KEYS[1], 'released:' .. ARGV[1], '1')
        return redis.call('HDEL', KEYS[1], ARGV[1])
        """;

    private const string ReassertScript = """
        if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then
          return false
        end
        local written = {}
        for i = 2, #ARGV, 2 do
          if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 and redis.call('HEXISTS', KEYS[1], 'released:' .. ARGV[i]) == 0 then
            redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
            written[#written + 1] = ARGV[i]
          end
        end
        return written
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly RedisKey[] Keys = [Key];

    public async Task<KillSwitchStoreContents> ReadAllAsync(CancellationToken cancellationToken)
    {
        var result = await Guard(redis.GetDatabase().ScriptEvaluateAsync(ReadScript, Keys, [Guid.NewGuid().ToString("N")]), cancellationToken);
        var entries = (RedisResult[])result!;
        var epoch = "";
        var switches = new List<KillSwitch>(entries.Length / 2);
        for (var i = 0; i + 1 < entries.Length; i += 2)
        {
            var field = (string?)entries[i];
            if (field == EpochField)
            {
                epoch = (string?)entries[i + 1] ?? "";
            }
            else if (TryParseField(field, out var scope, out var name)
                && JsonSerializer.Deserialize<StoredValue>((string)entries[i + 1]!, Json) is { } value)
            {
                switches.Add(new KillSwitch(scope, name, value.Actor, value.Reason, value.At));
            }
        }

        return new KillSwitchStoreContents(epoch, switches);
    }

    public Task SetAsync(KillSwitch killSwitch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(killSwitch);
        return Guard(redis.GetDatabase().ScriptEvaluateAsync(SetScript, Keys, [Field(killSwitch.Scope, killSwitch.Name), Serialize(killSwitch)]), cancellationToken);
    }

    public async Task<bool> RemoveAsync(KillSwitchScope scope, string name, CancellationToken cancellationToken) =>
        (long)(await Guard(redis.GetDatabase().ScriptEvaluateAsync(RemoveScript, Keys, [Field(scope, name)]), cancellationToken)) == 1;

    public async Task<IReadOnlyList<KillSwitch>?> ReassertAsync(string epoch, IReadOnlyList<KillSwitch> known, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(known);
        var byField = known.ToDictionary(s => Field(s.Scope, s.Name), StringComparer.Ordinal);
        RedisValue[] arguments = [epoch, .. byField.SelectMany(pair => new RedisValue[] { pair.Key, Serialize(pair.Value) })];
        var result = await Guard(redis.GetDatabase().ScriptEvaluateAsync(ReassertScript, Keys, arguments), cancellationToken);
        return result.IsNull ? null : [.. ((RedisResult[])result!).Select(field => byField[(string)field!])];
    }

    private static string Serialize(KillSwitch killSwitch) =>
        JsonSerializer.Serialize(new StoredValue(killSwitch.Actor, killSwitch.Reason, killSwitch.At), Json);

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
