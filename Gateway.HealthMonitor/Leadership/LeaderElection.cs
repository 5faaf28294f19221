using Gateway.HealthMonitor.Breakers;
using Gateway.HealthMonitor.Monitoring;
using Gateway.HealthMonitor.Transitions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.HealthMonitor.Leadership;

/// <summary>
/// Keeps exactly one monitor replica leading: the leader renews its Redis lease every
/// <see cref="HealthMonitorOptions.LeaseRenewInterval"/>; a standby tries to take it on the same beat, so it takes
/// over within one TTL of the leader's death. A new leader first adopts the snapshot so it continues from the
/// published state; a leader that cannot renew for a whole TTL steps down on its own. A freshly started replica waits
/// one TTL before contending: when a crashed leader is restarted, the standby that was already waiting for the old
/// lease to expire takes over, instead of racing the restarted process for it.
/// </summary>
public sealed partial class LeaderElection(
    LeaderLease lease,
    CircuitSnapshotStore store,
    AuthoritativeBreakers breakers,
    LeadershipState leadership,
    IOptions<HealthMonitorOptions> options,
    TimeProvider timeProvider,
    ILogger<LeaderElection> logger) : BackgroundService
{
    private DateTimeOffset _lastRenewed;

    public void StepDown(string reason)
    {
        if (leadership.IsLeader)
        {
            leadership.Set(false, timeProvider.GetUtcNow());
            LogSteppedDown(leadership.InstanceId, reason);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (leadership.IsLeader)
        {
            // Hand over now instead of letting the standby wait out the TTL.
            StepDown("shutting down");
            try
            {
                await lease.ReleaseAsync();
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogReleaseFailed(ex.Message);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Delay(options.Value.LeaseTtl, timeProvider, stoppingToken);
        using var timer = new PeriodicTimer(options.Value.LeaseRenewInterval, timeProvider);
        do
        {
            await RunOnceAsync();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One election round: renew when leading, otherwise try to take the lease.</summary>
    internal async Task RunOnceAsync()
    {
        var now = timeProvider.GetUtcNow();
        try
        {
            if (leadership.IsLeader)
            {
                if (await lease.RenewAsync())
                {
                    _lastRenewed = now;
                }
                else
                {
                    StepDown("the lease is held by another instance, or vanished with Redis's data");
                }
            }
            else if (await lease.TryAcquireAsync())
            {
                var snapshot = await store.ReadAsync();
                foreach (var change in snapshot.Circuits)
                {
                    breakers.Adopt(change);
                }

                foreach (var change in snapshot.Health)
                {
                    breakers.Adopt(change);
                }

                _lastRenewed = now;
                leadership.Set(true, now);
                breakers.ReassertMissing(snapshot);
                LogLeading(leadership.InstanceId, snapshot.Sequence);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            if (leadership.IsLeader && now - _lastRenewed >= options.Value.LeaseTtl)
            {
                StepDown("Redis unreachable for a whole lease TTL: " + ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Monitor {InstanceId} leads, continuing from snapshot sequence {Sequence}")]
    private partial void LogLeading(string instanceId, long sequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Monitor {InstanceId} stepped down: {Reason}")]
    private partial void LogSteppedDown(string instanceId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not release the leader lease: {Message}")]
    private partial void LogReleaseFailed(string message);
}
