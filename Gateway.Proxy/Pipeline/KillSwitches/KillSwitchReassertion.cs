using Gateway.Proxy.Audit;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>
/// Writes back the kill switches a replica knew when the store comes back without them (Redis lost its data), and
/// audits each one written. Replicas that notice the loss together write each switch once: the store writes only what
/// the new data set has neither engaged nor released, and only the replica whose write landed audits it.
/// </summary>
public sealed partial class KillSwitchReassertion(IKillSwitchStore store, AuditRecorder audit, ILogger<KillSwitchReassertion> logger)
{
    /// <summary>Actor of a re-assertion's audit event: the gateway itself, not an admin.</summary>
    public const string Actor = "gateway";

    /// <summary>Opening of a re-assertion's audit detail.</summary>
    public const string Reason = "re-asserted after Redis data loss";

    /// <summary>False when the store's data set changed again meanwhile (nothing is audited; try again later).</summary>
    public async Task<bool> ReassertAsync(string epoch, IReadOnlyList<KillSwitch> known, CancellationToken cancellationToken)
    {
        if (await store.ReassertAsync(epoch, known, cancellationToken) is not { } written)
        {
            return false;
        }

        foreach (var killSwitch in written)
        {
            LogReasserted(logger, killSwitch.Describe(), killSwitch.Actor);
            audit.RecordAdmin(
                Actor,
                "admin/kill-switch",
                KillSwitch.AuditTarget(killSwitch.Scope, killSwitch.Name),
                KillSwitch.AuditBackend(killSwitch.Scope, killSwitch.Name),
                AuditStatus.KillSwitchReasserted,
                $"{Reason}: {killSwitch.Describe()}, engaged by {killSwitch.Actor} at {killSwitch.At:O}{(killSwitch.Reason is null ? "" : ": " + killSwitch.Reason)}");
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis lost its data: {KillSwitch} (engaged by {Actor}) written back")]
    private static partial void LogReasserted(ILogger logger, string killSwitch, string actor);
}
