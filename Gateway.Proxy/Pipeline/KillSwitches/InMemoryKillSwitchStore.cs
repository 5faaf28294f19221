using System.Collections.Concurrent;
using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>Kill switches of a replica that runs without Redis: lost on restart, not shared with other replicas.</summary>
public sealed class InMemoryKillSwitchStore : IKillSwitchStore
{
    private readonly ConcurrentDictionary<(KillSwitchScope, string), KillSwitch> _switches = new();

    public Task<IReadOnlyList<KillSwitch>> ReadAllAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<KillSwitch>>([.. _switches.Values]);

    public Task SetAsync(KillSwitch killSwitch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(killSwitch);
        _switches[(killSwitch.Scope, killSwitch.Name)] = killSwitch;
        return Task.CompletedTask;
    }

    public Task<bool> RemoveAsync(KillSwitchScope scope, string name, CancellationToken cancellationToken) =>
        Task.FromResult(_switches.TryRemove((scope, name), out _));
}
