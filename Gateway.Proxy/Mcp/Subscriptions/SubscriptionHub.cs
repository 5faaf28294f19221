using System.Collections.Concurrent;
using System.Text.Json;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Backends;
using Gateway.Proxy.Catalog;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Pipeline;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Mcp.Subscriptions;

/// <summary>
/// The open <c>subscriptions/listen</c> streams of this replica (2026-07-28: in place of the GET stream and
/// <c>resources/subscribe</c>): opens them (subscribing each requested resource at its owning backend) and hands
/// them the catalog's <c>list_changed</c> notifications.
/// </summary>
internal sealed class SubscriptionHub(
    CatalogService catalog,
    BackendConnections connections,
    CallPipeline pipeline,
    IOptionsMonitor<McpOptions> options,
    ILogger<SubscriptionHub> logger)
{
    private readonly ConcurrentDictionary<Subscription, byte> _open = Listen(catalog);

    private static ConcurrentDictionary<Subscription, byte> Listen(CatalogService catalog)
    {
        var open = new ConcurrentDictionary<Subscription, byte>();
        catalog.ListChanged += method =>
        {
            foreach (var subscription in open.Keys)
            {
                subscription.Announce(method);
            }
        };
        return open;
    }

    /// <summary>Opens the stream <paramref name="listen"/> asks for; the caller writes it and closes it with <see cref="CloseAsync"/>.</summary>
    public async Task<Subscription> OpenAsync(JsonRpcMessage listen, ClientIdentity client, CancellationToken cancellationToken)
    {
        var subscription = new Subscription(listen.Id, SubscriptionFilter.From(listen.Params), options.CurrentValue.SessionBufferSize);
        _open[subscription] = 0;
        if (subscription.Filter.ResourceUris.Count > 0)
        {
            await catalog.WhenReadyAsync(cancellationToken);
            await Task.WhenAll(subscription.Filter.ResourceUris.Select(uri => SubscribeAsync(subscription, client, uri, cancellationToken)));
        }

        return subscription;
    }

    public async Task CloseAsync(Subscription subscription)
    {
        _open.TryRemove(subscription, out _);
        await subscription.DisposeAsync();
    }

    /// <summary>Subscribes at the resource's owner, on a backend session of the stream's own; a refusal leaves it unacknowledged.</summary>
    private async Task SubscribeAsync(Subscription subscription, ClientIdentity client, string uri, CancellationToken cancellationToken)
    {
        if (!pipeline.IsVisible(client, CatalogItemKind.Resource, uri)
            || catalog.Current.FindResource(uri) is not { } entry || connections.Find(entry.Backend) is not { } backend)
        {
            return;
        }

        var connection = connections.Dedicated(backend, new RelayTarget(null, subscription));
        subscription.Keep(connection);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(backend.Timeout);
        // Held before asking, so an update the backend sends right away is not lost; released if it refuses.
        subscription.Hold(connection, entry.OriginalName, uri);
        try
        {
            using var response = await connection.RequestAsync(McpMethods.ResourcesSubscribe,
                JsonSerializer.SerializeToUtf8Bytes(new { uri = entry.OriginalName }), null, timeout.Token);
            if (!response.RootElement.TryGetProperty("result", out _))
            {
                subscription.Release(connection, entry.OriginalName);
            }
        }
        catch (Exception ex) when (ex is BackendException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            subscription.Release(connection, entry.OriginalName);
            BackendFailureLog.BackendFailed(logger, backend.Name, McpMethods.ResourcesSubscribe, ex.Message);
        }
    }
}
