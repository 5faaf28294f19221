using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Mcp.RoundTrips;

/// <summary>The calls this replica holds for their clients' answers, at most <see cref="McpOptions.MaxHeldCalls"/>.</summary>
internal sealed class HeldCalls(IOptionsMonitor<McpOptions> options)
{
    private readonly ConcurrentDictionary<string, HeldCall> _calls = new(StringComparer.Ordinal);
    private int _count;

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public int Count => Volatile.Read(ref _count);

    /// <summary>Adds the call unless the cap is reached; false when full.</summary>
    public bool TryAdd(HeldCall call)
    {
        if (Interlocked.Increment(ref _count) > options.CurrentValue.MaxHeldCalls)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }

        _calls[call.Id] = call;
        return true;
    }

    public HeldCall? Find(string id) => _calls.TryGetValue(id, out var call) ? call : null;

    public void Remove(HeldCall call)
    {
        if (_calls.TryRemove(new KeyValuePair<string, HeldCall>(call.Id, call)))
        {
            Interlocked.Decrement(ref _count);
        }
    }
}
