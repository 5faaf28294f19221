using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>
/// This replica's kill-switch snapshot: read from the store at start, re-read when a <c>KillSwitchChanged</c> arrives
/// and on <see cref="KillSwitchOptions.RefreshInterval"/>. A failed read keeps the last snapshot (fail-static).
/// </summary>
/// <remarks>
/// A switch is never dropped because the store lost it: each read carries the epoch of the store's data set, and when
/// it differs from the one the last snapshot came from (Redis restarted empty, failed over, was flushed), the switches
/// of the last snapshot are written back through <see cref="KillSwitchReassertion"/> before the new contents replace
/// it. Until that succeeds the last snapshot stays in force. Only an admin's release removes a switch.
/// </remarks>
public sealed partial class KillSwitchState(
    IKillSwitchStore store,
    KillSwitchReassertion reassertion,
    IOptions<KillSwitchOptions> options,
    TimeProvider time,
    ILogger<KillSwitchState> logger) : BackgroundService
{
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile KillSwitchSnapshot _current = KillSwitchSnapshot.Empty;
    private string? _epoch;

    public KillSwitchSnapshot Current => _current;

    /// <summary>Re-reads the store; returns false (keeping the last snapshot) when it cannot be read.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.Value.StoreTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            // One refresh at a time: two that both saw the loss would each compare against a snapshot the other is replacing.
            await _refreshing.WaitAsync(linked.Token);
            try
            {
                return await RefreshOnceAsync(linked.Token);
            }
            finally
            {
                _refreshing.Release();
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogRefreshFailed(logger, ex.Message);
            return false;
        }
    }

    /// <summary>
    /// Reads the store before the host starts serving, so a switch engaged before a restart holds from the first
    /// call. If the store cannot be read within <see cref="KillSwitchOptions.StoreTimeout"/>, the replica starts
    /// with no switches and keeps trying on every refresh.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _refreshing.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await RefreshAsync(stoppingToken);
        }
    }

    private async Task<bool> RefreshOnceAsync(CancellationToken cancellationToken)
    {
        var contents = await store.ReadAllAsync(cancellationToken);
        var known = _current.All;
        if (_epoch is not null && contents.Epoch != _epoch && known.Count > 0)
        {
            LogDataLost(logger, known.Count);
            var seen = contents.Epoch;
            if (!await reassertion.ReassertAsync(seen, known, cancellationToken)
                || (contents = await store.ReadAllAsync(cancellationToken)).Epoch != seen)
            {
                // The data set changed again meanwhile: keep the last snapshot and start over at the next refresh.
                return false;
            }
        }

        _epoch = contents.Epoch;
        _current = new KillSwitchSnapshot(contents.Switches);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kill switches could not be read; keeping the last snapshot: {Error}")]
    private static partial void LogRefreshFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The kill-switch store's data set changed (Redis lost its data); writing back the {Count} switches this replica held")]
    private static partial void LogDataLost(ILogger logger, int count);
}
