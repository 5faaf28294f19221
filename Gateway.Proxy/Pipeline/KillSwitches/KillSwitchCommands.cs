using Gateway.Contracts.Messages;
using Gateway.Proxy.Audit;
using MassTransit;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>
/// Engages and releases kill switches on behalf of an admin: writes the store (the source of truth), applies the
/// change to this replica at once, tells the other replicas over the bus, and audits who did it. A bus failure does
/// not undo the change: the other replicas pick it up at their next refresh.
/// </summary>
public sealed partial class KillSwitchCommands(
    IKillSwitchStore store,
    KillSwitchState state,
    AuditRecorder audit,
    TimeProvider time,
    ILogger<KillSwitchCommands> logger,
    IBus? bus = null)
{
    private static readonly TimeSpan NotifyTimeout = TimeSpan.FromSeconds(5);

    public async Task<KillSwitch> EngageAsync(KillSwitchScope scope, string name, string actor, string? reason, CancellationToken cancellationToken)
    {
        var killSwitch = new KillSwitch(scope, name, actor, reason, time.GetUtcNow());
        await store.SetAsync(killSwitch, cancellationToken);
        await ApplyAsync(killSwitch.Scope, name, engaged: true, actor, reason, cancellationToken);
        return killSwitch;
    }

    /// <summary>
    /// Releases a switch; false when it was engaged neither in the store nor on this replica (nothing changes, nothing
    /// is audited). A switch this replica still holds counts as engaged: after a loss of Redis's data it may not have
    /// been written back yet, and the release mark keeps any replica from writing it back later.
    /// </summary>
    public async Task<bool> ReleaseAsync(KillSwitchScope scope, string name, string actor, CancellationToken cancellationToken)
    {
        var heldHere = state.Current.All.Any(s => s.Scope == scope && s.Name == name);
        if (!await store.RemoveAsync(scope, name, cancellationToken) && !heldHere)
        {
            return false;
        }

        await ApplyAsync(scope, name, engaged: false, actor, null, cancellationToken);
        return true;
    }

    private async Task ApplyAsync(KillSwitchScope scope, string name, bool engaged, string actor, string? reason, CancellationToken cancellationToken)
    {
        await state.RefreshAsync(cancellationToken);
        audit.RecordAdmin(
            actor,
            "admin/kill-switch",
            KillSwitch.AuditTarget(scope, name),
            KillSwitch.AuditBackend(scope, name),
            engaged ? AuditStatus.KillSwitchEngaged : AuditStatus.KillSwitchReleased,
            $"{(engaged ? "engaged" : "released")} {scope.ToString().ToLowerInvariant()} kill switch{(name.Length > 0 ? " '" + name + "'" : "")}{(reason is null ? "" : ": " + reason)}");

        if (bus is null)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(NotifyTimeout, time);
            await bus.Publish(new KillSwitchChanged(scope, name, engaged, actor, reason, time.GetUtcNow()), timeout.Token);
        }
        catch (Exception ex)
        {
            LogNotifyFailed(logger, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kill-switch change saved but not announced on the bus; other replicas apply it at their next refresh: {Error}")]
    private static partial void LogNotifyFailed(ILogger logger, string error);
}
