using System.Collections.Concurrent;

namespace Gateway.Proxy.Mcp.Replication;

/// <summary>
/// Sessions ended (DELETE on any replica) in the last minute. A replica reading a session from Redis while its ending
/// is announced could otherwise take it after the announcement has passed, and serve an ended session.
/// </summary>
internal sealed class EndedSessions(TimeProvider time)
{
    /// <summary>Longer than a lookup in Redis can be in flight.</summary>
    private static readonly TimeSpan s_memory = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, long> _ended = new(StringComparer.Ordinal);

    public void Remember(string id) => _ended[id] = time.GetTimestamp();

    public bool Contains(string id) => _ended.ContainsKey(id);

    /// <summary>Drops endings older than a minute (the sweeper's job).</summary>
    public void ForgetOld()
    {
        foreach (var (id, at) in _ended)
        {
            if (time.GetElapsedTime(at) > s_memory)
            {
                _ended.TryRemove(id, out _);
            }
        }
    }
}
