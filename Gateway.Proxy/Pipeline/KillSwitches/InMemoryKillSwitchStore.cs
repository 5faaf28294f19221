using System.Collections.Concurrent;
using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>
/// Kill switches of a replica that runs without Redis: lost on restart, not shared with other replicas. Its data set
/// lives as long as the replica, so its epoch never changes and there is never anything to write back.
/// </summary>
public sealed class InMemoryKillSwitchStore : IKillSwitchStore
{
    private const string Epoch = "memory";

    private readonly ConcurrentDictionary<(KillSwitchScope, string), KillSwitch> _switches = new();

    public Task<KillSwitchStoreContents> ReadAllAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new KillSwitchStoreContents(Epoch, [.. _switches.Values]));

    public Task SetAsync(KillSwitch killSwitch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(killSwitch);
        _switches[(killSwitch.Scope, killSwitch.Name)] = killSwitch;
        return Task.CompletedTask;
    }

    public Task<bool> RemoveAsync(KillSwitchScope scope, string name, CancellationToken cancellationToken) =>
        Task.FromResult(_switches.TryRemove((scope, name), out _));

    public Task<IReadOnlyList<KillSwitch>?> ReassertAsync(string epoch, IReadOnlyList<KillSwitch> known, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<KillSwitch>?>(epoch == Epoch ? [] : null);
}
