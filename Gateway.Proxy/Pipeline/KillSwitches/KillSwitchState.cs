using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>
/// This replica's kill-switch snapshot: read from the store at start, re-read when a <c>KillSwitchChanged</c> arrives
/// and on <see cref="KillSwitchOptions.RefreshInterval"/>. A failed read keeps the last snapshot (fail-static).
/// </summary>
public sealed partial class KillSwitchState(
    IKillSwitchStore store,
    IOptions<KillSwitchOptions> options,
    TimeProvider time,
    ILogger<KillSwitchState> logger) : BackgroundService
{
    private volatile KillSwitchSnapshot _current = KillSwitchSnapshot.Empty;

    public KillSwitchSnapshot Current => _current;

    /// <summary>Re-reads the store; returns false (keeping the last snapshot) when it cannot be read.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.Value.StoreTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            _current = new KillSwitchSnapshot(await store.ReadAllAsync(linked.Token));
            return true;
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await RefreshAsync(stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kill switches could not be read; keeping the last snapshot: {Error}")]
    private static partial void LogRefreshFailed(ILogger logger, string error);
}
