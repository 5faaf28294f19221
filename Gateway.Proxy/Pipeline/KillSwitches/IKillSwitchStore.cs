using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>
/// Where kill switches live. Redis when the deployment has it (shared by every replica, survives restarts);
/// otherwise this replica's memory, changed only through its own admin API.
/// </summary>
public interface IKillSwitchStore
{
    Task<IReadOnlyList<KillSwitch>> ReadAllAsync(CancellationToken cancellationToken);

    Task SetAsync(KillSwitch killSwitch, CancellationToken cancellationToken);

    /// <summary>Releases a switch; false when it was not engaged.</summary>
    Task<bool> RemoveAsync(KillSwitchScope scope, string name, CancellationToken cancellationToken);
}
