using System.Collections.Concurrent;
using System.Security.Cryptography;
using Gateway.Proxy.Mcp.Replication;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Proxy.Mcp;

/// <summary>
/// The sessions this replica holds, and the sweeper that forgets idle ones. With Redis (a
/// <see cref="SessionDirectory"/>), sessions are shared: created in Redis, taken from there by a replica new to
/// one (one round trip), and served from memory afterwards (none); ending one (DELETE) ends it on every replica.
/// Without Redis they are this replica's alone.
/// </summary>
internal sealed partial class McpSessionStore(
    IOptionsMonitor<McpOptions> options,
    TimeProvider time,
    ILogger<McpSessionStore> logger,
    SessionDirectory? directory = null,
    SessionRelay? relay = null) : BackgroundService
{
    private readonly ConcurrentDictionary<string, McpSession> _sessions = new(StringComparer.Ordinal);
    private readonly EndedSessions _ended = new(time);
    private Task _listening = Task.CompletedTask;
    private int _count;

    public static string NewSessionId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Adds the stdio mode's one session, which the cap (at least 1) never refuses and no other replica shares.</summary>
    public void Add(McpSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        Interlocked.Increment(ref _count);
        _sessions[session.Id] = session;
    }

    /// <summary>
    /// Adds a new session unless <see cref="McpOptions.MaxSessions"/> are held here (idle-expired ones are forgotten
    /// first), and shares it through Redis when there is one; false when full. With Redis unreachable the session
    /// still works, on this replica only.
    /// </summary>
    public async Task<bool> TryAddAsync(McpSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!await TryReserveAsync())
        {
            return false;
        }

        if (directory is not null && relay is not null)
        {
            try
            {
                await directory.CreateAsync(session.ToRecord(), SharedLifetime(options.CurrentValue));
                session.Share(relay, OnChanged);
            }
            catch (RedisException ex)
            {
                LogNotShared(logger, session.Id, ex.Message);
            }
        }

        _sessions[session.Id] = session;
        return true;
    }

    /// <summary>
    /// The live session with this id: from memory when this replica holds it (no Redis round trip), else from Redis
    /// (one). A session idle here for longer than the timeout may have been used on another replica: Redis decides.
    /// </summary>
    public async ValueTask<SessionLookup> FindAsync(string id)
    {
        var settings = options.CurrentValue;
        if (_sessions.TryGetValue(id, out var held))
        {
            if (!held.IsExpired(settings.SessionIdleTimeout))
            {
                held.Touch();
                RenewShared(held, settings);
                return new SessionLookup(SessionLookupStatus.Found, held);
            }

            if (directory is null || !held.IsShared)
            {
                await ForgetAsync(id);
                return new SessionLookup(SessionLookupStatus.NotFound, null);
            }
        }
        else if (directory is null || _ended.Contains(id))
        {
            return new SessionLookup(SessionLookupStatus.NotFound, null);
        }

        SessionRecord? record;
        try
        {
            record = await directory.FindAsync(id, SharedLifetime(settings));
        }
        catch (RedisException ex)
        {
            LogDirectoryUnavailable(logger, id, ex.Message);
            return new SessionLookup(SessionLookupStatus.Unavailable, null);
        }

        if (record is null)
        {
            await ForgetAsync(id);
            return new SessionLookup(SessionLookupStatus.NotFound, null);
        }

        if (held is not null)
        {
            // Used on another replica meanwhile: still alive, and its lifetime was just renewed by the lookup.
            held.Apply(record);
            held.Touch();
            held.SharedRenewed();
            return new SessionLookup(SessionLookupStatus.Found, held);
        }

        return await AdoptAsync(record, settings);
    }

    /// <summary>Sessions this replica holds (created here or taken from Redis).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The session if this replica holds it; never asks Redis (answers forwarded from other replicas).</summary>
    public McpSession? FindHeld(string id) => _sessions.GetValueOrDefault(id);

    /// <summary>Ends a session (HTTP DELETE): forgotten here and, when shared, on every replica.</summary>
    public async Task<bool> RemoveAsync(string id)
    {
        var shared = _sessions.TryGetValue(id, out var session) && session.IsShared;
        var removed = shared ? await EndedAsync(id) : await ForgetAsync(id);
        if (shared && directory is not null)
        {
            try
            {
                await directory.DeleteAsync(id);
            }
            catch (RedisException ex)
            {
                LogDirectoryUnavailable(logger, id, ex.Message);
            }
        }

        return removed;
    }

    /// <summary>Queues a notification on every session's GET stream held here (catalog <c>list_changed</c>).</summary>
    public void Broadcast(byte[] message)
    {
        foreach (var session in _sessions.Values)
        {
            session.Outbound.TryPost(message);
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Listening before the first request when Redis answers at once, so an ending announced by another replica
        // is never missed; start-up never waits longer for Redis (the listener keeps trying in the background).
        _listening = ListenAsync();
        await Task.WhenAny(_listening, Task.Delay(TimeSpan.FromSeconds(2), time, cancellationToken));
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Often enough that a GET stream held here keeps its session alive in Redis (renewed every quarter timeout).
        var period = TimeSpan.FromTicks(Math.Clamp(options.CurrentValue.SessionIdleTimeout.Ticks / 4, TimeSpan.TicksPerSecond / 4, TimeSpan.TicksPerSecond * 15));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                RenewStreaming(options.CurrentValue);
                _ended.ForgetOld();
                await RemoveExpiredAsync(options.CurrentValue.SessionIdleTimeout);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Forgotten here only: clients carry on with their sessions on the other replicas.
        foreach (var id in _sessions.Keys)
        {
            await ForgetAsync(id);
        }
    }

    /// <summary>Shared lifetime in Redis: the idle timeout plus the renewal interval, since activity renews it lazily.</summary>
    private static TimeSpan SharedLifetime(McpOptions settings) => settings.SessionIdleTimeout + RenewalInterval(settings);

    private static TimeSpan RenewalInterval(McpOptions settings) => settings.SessionIdleTimeout / 4;

    private async ValueTask<SessionLookup> AdoptAsync(SessionRecord record, McpOptions settings)
    {
        if (!await TryReserveAsync())
        {
            return new SessionLookup(SessionLookupStatus.Full, null);
        }

        var session = McpSession.FromRecord(record, settings.SessionBufferSize, time);
        session.Share(relay!, OnChanged);
        if (!_sessions.TryAdd(record.Id, session))
        {
            // Two requests of the same session landed here at once: the first one's copy wins.
            Interlocked.Decrement(ref _count);
            await session.DisposeAsync();
            return _sessions.TryGetValue(record.Id, out var first)
                ? new SessionLookup(SessionLookupStatus.Found, first)
                : new SessionLookup(SessionLookupStatus.NotFound, null);
        }

        if (_ended.Contains(record.Id))
        {
            // Ended on another replica while this one was reading it from Redis.
            await ForgetAsync(record.Id);
            return new SessionLookup(SessionLookupStatus.NotFound, null);
        }

        LogAdopted(logger, record.Id);
        return new SessionLookup(SessionLookupStatus.Found, session);
    }

    private async ValueTask<bool> TryReserveAsync()
    {
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

        return true;
    }

    private void RenewShared(McpSession session, McpOptions settings)
    {
        if (directory is not null && session.IsShared && session.ShouldRenewShared(RenewalInterval(settings)))
        {
            directory.Touch(session.Id, SharedLifetime(settings));
        }
    }

    /// <summary>A GET stream held open is activity: the session must not expire on the replicas it does not touch.</summary>
    private void RenewStreaming(McpOptions settings)
    {
        foreach (var session in _sessions.Values)
        {
            if (session.Outbound.HasOpenStream)
            {
                session.Touch();
                RenewShared(session, settings);
            }
        }
    }

    private void OnChanged(McpSession session) => _ = UpdateSharedAsync(session);

    private async Task UpdateSharedAsync(McpSession session)
    {
        try
        {
            await directory!.UpdateAsync(session.ToRecord());
        }
        catch (RedisException ex)
        {
            LogDirectoryUnavailable(logger, session.Id, ex.Message);
        }
    }

    private void OnUpdated(SessionRecord record)
    {
        if (_sessions.TryGetValue(record.Id, out var session))
        {
            session.Apply(record);
        }
    }

    private async Task ListenAsync()
    {
        if (directory is null || relay is null)
        {
            return;
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await directory.ListenAsync(EndedAsync, OnUpdated);
                await relay.ListenAsync(FindHeld);
                return;
            }
            catch (RedisException ex)
            {
                if (attempt == 0)
                {
                    LogDirectoryUnavailable(logger, "(listener)", ex.Message);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), time);
            }
        }
    }

    /// <summary>A shared session ended (here or on another replica): forgotten, and never taken from Redis again.</summary>
    private Task<bool> EndedAsync(string id)
    {
        _ended.Remember(id);
        return ForgetAsync(id);
    }

    /// <summary>Drops the session from this replica (its backend sessions here closed); other replicas keep theirs.</summary>
    private async Task<bool> ForgetAsync(string id)
    {
        if (!_sessions.TryRemove(id, out var session))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        await session.DisposeAsync();
        return true;
    }

    private async Task RemoveExpiredAsync(TimeSpan timeout)
    {
        foreach (var session in _sessions.Values)
        {
            if (session.IsExpired(timeout) && await ForgetAsync(session.Id))
            {
                LogExpired(logger, session.Id);
            }
        }
    }
}
