using System.Runtime.InteropServices;
using Gateway.Contracts;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Backends;
using Gateway.Proxy.Catalog;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Mcp.Routing;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Mcp.FanOut;

/// <summary>
/// <c>resources/subscribe</c> and <c>resources/unsubscribe</c>. Subscriptions go to the resource's owner; a URI no
/// backend lists (resources can exist unlisted) goes to every backend, and the subscription holds if one accepted it.
/// Not a routed call: RBAC visibility is checked here.
/// </summary>
internal sealed class ResourceSubscriptions(
    CatalogService catalog,
    BackendConnections connections,
    CallPipeline pipeline,
    ILogger<ResourceSubscriptions> logger)
{
    public async ValueTask<byte[]> SubscribeAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken)
    {
        if (message.GetParamString("uri") is not { Length: > 0 } uri)
        {
            return JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidParams, "Invalid params: \"uri\" is required.");
        }

        if (!pipeline.IsVisible(context.Client, CatalogItemKind.Resource, uri))
        {
            return JsonRpcWriter.Error(message.Id, GatewayErrorCodes.Forbidden, $"Forbidden: resource {uri}");
        }

        await catalog.WhenReadyAsync(cancellationToken);
        var entry = catalog.Current.FindResource(uri);
        var owner = entry is null ? null : connections.Find(entry.Backend);
        var backends = owner is null ? connections.All() : [owner];
        // A gateway:{backend}:{uri} URI is subscribed at its backend under the backend's own URI.
        var parameters = owner is not null && entry!.OriginalName != uri
            ? JsonRpcWriter.RewriteParams(message.Params, "uri", entry.OriginalName, null)
            : JsonMarshal.GetRawUtf8Value(message.Params).ToArray();
        var results = await Task.WhenAll(backends.Select(b => SubscribeOneAsync(message.Method!, context, b, parameters, cancellationToken)));
        if (context.Session is { } session)
        {
            Remember(session, message.Method!, backends, results, owner is null ? uri : entry!.OriginalName);
        }

        foreach (var result in results)
        {
            if (result is { IsError: false })
            {
                return JsonRpcWriter.Response(message.Id, result.Value.Response.Span, isError: false);
            }
        }

        return results.FirstOrDefault(r => r is not null) is { } first
            ? JsonRpcWriter.Response(message.Id, first.Response.Span, isError: true)
            : JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidParams, $"Unknown resource: {uri}");
    }

    /// <summary>
    /// Keeps the session's subscriptions as each backend accepted them, so that a backend session opened later (on
    /// this replica after a restart, or on another replica) is subscribed again.
    /// </summary>
    private static void Remember(McpSession session, string method, IReadOnlyList<BackendOptions> backends, BackendResult?[] results, string backendUri)
    {
        for (var i = 0; i < backends.Count; i++)
        {
            if (method == McpMethods.ResourcesUnsubscribe)
            {
                session.RemoveSubscription(backends[i].Name, backendUri);
            }
            else if (results[i] is { IsError: false })
            {
                session.AddSubscription(backends[i].Name, backendUri);
            }
        }
    }

    private async Task<BackendResult?> SubscribeOneAsync(string method, McpRequestContext context, BackendOptions backend, byte[] parameters,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(backend.Timeout);
        try
        {
            using var response = await connections.For(context.Session, backend)
                .RequestAsync(method, parameters, new RelayTarget(context.Session, context.Sink), timeout.Token);
            return BackendResults.FromResponse(response.RootElement, backend.Name);
        }
        catch (Exception ex) when (ex is BackendException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            BackendFailureLog.BackendFailed(logger, backend.Name, method, ex.Message);
            return null;
        }
    }
}
