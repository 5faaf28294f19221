using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>
/// Where kill switches live. Redis when the deployment has it (shared by every replica, survives restarts);
/// otherwise this replica's memory, changed only through its own admin API.
/// Implementations report an unreachable store with <see cref="KillSwitchStoreUnavailableException"/>.
/// </summary>
public interface IKillSwitchStore
{
    Task<IReadOnlyList<KillSwitch>> ReadAllAsync(CancellationToken cancellationToken);

    Task SetAsync(KillSwitch killSwitch, CancellationToken cancellationToken);

    /// <summary>Releases a switch; false when it was not engaged.</summary>
    Task<bool> RemoveAsync(KillSwitchScope scope, string name, CancellationToken cancellationToken);
}

/// <summary>The kill-switch store could not be read or written; the admin API answers 503.</summary>
public sealed class KillSwitchStoreUnavailableException : Exception
{
    public KillSwitchStoreUnavailableException()
    {
    }

    public KillSwitchStoreUnavailableException(string message)
        : base(message)
    {
    }

    public KillSwitchStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
