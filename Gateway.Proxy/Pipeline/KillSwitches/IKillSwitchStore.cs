using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>
/// Where kill switches live. Redis when the deployment has it (shared by every replica, survives restarts);
/// otherwise this replica's memory, changed only through its own admin API.
/// Implementations report an unreachable store with <see cref="KillSwitchStoreUnavailableException"/>.
/// </summary>
public interface IKillSwitchStore
{
    /// <summary>Every engaged switch, and the epoch of the data set they were read from (created when it has none).</summary>
    Task<KillSwitchStoreContents> ReadAllAsync(CancellationToken cancellationToken);

    Task SetAsync(KillSwitch killSwitch, CancellationToken cancellationToken);

    /// <summary>
    /// Releases a switch and marks it released, engaged or not, so that a replica that still knew it from before a
    /// loss of the store's data does not write it back. False when it was not engaged in the store.
    /// </summary>
    Task<bool> RemoveAsync(KillSwitchScope scope, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Writes back each of <paramref name="known"/> that the data set <paramref name="epoch"/> has neither engaged nor
    /// released. Returns the switches written, or null when the store's epoch is no longer <paramref name="epoch"/>.
    /// </summary>
    Task<IReadOnlyList<KillSwitch>?> ReassertAsync(string epoch, IReadOnlyList<KillSwitch> known, CancellationToken cancellationToken);
}

/// <summary>What one read of the store found.</summary>
/// <param name="Epoch">
/// Names the store's data set: it stays the same while the data lasts and changes only when the store lost it
/// (Redis restarted without persistence, a failover to an empty replica, a flush).
/// </param>
/// <param name="Switches">Every engaged switch.</param>
public sealed record KillSwitchStoreContents(string Epoch, IReadOnlyList<KillSwitch> Switches);

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
