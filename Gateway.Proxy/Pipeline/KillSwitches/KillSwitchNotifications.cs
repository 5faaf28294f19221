using Gateway.Contracts.Messages;
using MassTransit;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>
/// Listens for <see cref="KillSwitchChanged"/> on a temporary queue of this replica's own (every replica gets every
/// change; a competing-consumer queue would give each change to one replica only) and re-reads the store, which
/// stays the source of truth: a notification only says "now".
/// </summary>
public sealed class KillSwitchNotifications(IBus bus, KillSwitchState state) : IHostedService
{
    private HostReceiveEndpointHandle? _endpoint;

    /// <summary>Completes once the queue is bound and consuming (changes published earlier are not seen).</summary>
    public Task Ready => _endpoint?.Ready ?? Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _endpoint = bus.ConnectReceiveEndpoint(
            new TemporaryEndpointDefinition("kill-switches"),
            KebabCaseEndpointNameFormatter.Instance,
            endpoint => endpoint.Handler<KillSwitchChanged>(context => state.RefreshAsync(context.CancellationToken)));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_endpoint is not null)
        {
            await _endpoint.StopAsync(cancellationToken);
        }
    }
}
