using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Mcp;

/// <summary>The live sessions of this replica, and the sweeper that forgets idle ones.</summary>
internal sealed partial class McpSessionStore(
    IOptionsMonitor<McpOptions> options,
    TimeProvider time,
    ILogger<McpSessionStore> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, McpSession> _sessions = new(StringComparer.Ordinal);
    private int _count;

    public static string NewSessionId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Adds the stdio mode's one session, which the cap (at least 1) never refuses.</summary>
    public void Add(McpSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        Interlocked.Increment(ref _count);
        _sessions[session.Id] = session;
    }

    /// <summary>
    /// Adds the session unless <see cref="McpOptions.MaxSessions"/> are live (idle-expired ones are forgotten first);
    /// false when full.
    /// </summary>
    public async Task<bool> TryAddAsync(McpSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var limit = options.CurrentValue.MaxSessions;
        if (Volatile.Read(ref _count) >= limit)
        {
            await RemoveExpiredAsync(options.CurrentValue.SessionIdleTimeout);
        }

        // Reserve a slot first so concurrent initializes cannot overshoot the cap.
        if (Interlocked.Increment(ref _count) > limit)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }

        _sessions[session.Id] = session;
        return true;
    }

    /// <summary>The live session with this id; expired sessions are removed and reported as unknown.</summary>
    public McpSession? Find(string id)
    {
        if (!_sessions.TryGetValue(id, out var session))
        {
            return null;
        }

        if (session.IsExpired(options.CurrentValue.SessionIdleTimeout))
        {
            _ = RemoveAsync(id);
            return null;
        }

        session.Touch();
        return session;
    }

    public async Task<bool> RemoveAsync(string id)
    {
        if (!_sessions.TryRemove(id, out var session))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        await session.DisposeAsync();
        return true;
    }

    /// <summary>Queues a notification on every session's GET stream (catalog <c>list_changed</c>).</summary>
    public void Broadcast(byte[] message)
    {
        foreach (var session in _sessions.Values)
        {
            session.Outbound.TryPost(message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RemoveExpiredAsync(options.CurrentValue.SessionIdleTimeout);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RemoveExpiredAsync(TimeSpan timeout)
    {
        foreach (var session in _sessions.Values)
        {
            if (session.IsExpired(timeout) && await RemoveAsync(session.Id))
            {
                LogExpired(logger, session.Id);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var id in _sessions.Keys)
        {
            await RemoveAsync(id);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP session {SessionId} expired")]
    private static partial void LogExpired(ILogger logger, string sessionId);
}
