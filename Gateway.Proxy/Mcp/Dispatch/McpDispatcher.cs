using System.Runtime.CompilerServices;
using Gateway.Contracts;
using Gateway.Proxy.Catalog;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Mcp.FanOut;
using Gateway.Proxy.Mcp.Lists;
using Gateway.Proxy.Mcp.Routing;
using Gateway.Proxy.Mcp.ServerInfo;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Mcp.Dispatch;

/// <summary>
/// Answers one client message, whatever the transport: the switch from a method to the type that serves it (local
/// answers, merged lists, routed calls, fan-outs), with the request tracked for <c>notifications/cancelled</c>.
/// </summary>
internal sealed class McpDispatcher(
    CatalogPages lists,
    RoutedCalls routes,
    ResourceSubscriptions subscriptions,
    LogLevelFanOut logLevels,
    ClientSignals signals)
{
    /// <summary>The response to send, or null for notifications and responses.</summary>
    /// <remarks>
    /// This finishes asynchronously on every proxied call, so its state machine comes from a pool; the returned task
    /// must be awaited once.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<byte[]?> HandleAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken)
    {
        switch (message.Kind)
        {
            case JsonRpcKind.Notification:
                await signals.HandleNotificationAsync(message, context, cancellationToken);
                return null;
            case JsonRpcKind.Response:
                await signals.HandleResponseAsync(message, context, cancellationToken);
                return null;
        }

        var requestId = message.Id.GetRawText();
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        context.Session?.TrackRequest(requestId, cancellation);
        try
        {
            return await HandleRequestAsync(message, context, cancellation.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return JsonRpcWriter.Error(message.Id, GatewayErrorCodes.TransportError, "Request cancelled by the client.");
        }
        finally
        {
            context.Session?.UntrackRequest(requestId);
        }
    }

    private ValueTask<byte[]> HandleRequestAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken) =>
        message.Method switch
        {
            McpMethods.Ping => ValueTask.FromResult(JsonRpcWriter.Response(message.Id, "{}"u8, isError: false)),
            McpMethods.Discover => ValueTask.FromResult(ServerDescription.DiscoverResult(message.Id)),
            McpMethods.Initialize => ValueTask.FromResult(JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidRequest,
                "Invalid Request: initialize is only valid as the first message of a session.")),
            McpMethods.ToolsList => lists.ListAsync(message, context, CatalogList.Tools, "tools", cancellationToken),
            McpMethods.PromptsList => lists.ListAsync(message, context, CatalogList.Prompts, "prompts", cancellationToken),
            McpMethods.ResourcesList => lists.ListAsync(message, context, CatalogList.Resources, "resources", cancellationToken),
            McpMethods.ResourceTemplatesList => lists.ListAsync(message, context, CatalogList.Templates, "resourceTemplates", cancellationToken),
            McpMethods.ToolsCall => routes.RouteAsync(message, context, CatalogItemKind.Tool, message.GetParamString("name"), cancellationToken),
            McpMethods.PromptsGet => routes.RouteAsync(message, context, CatalogItemKind.Prompt, message.GetParamString("name"), cancellationToken),
            McpMethods.ResourcesRead => routes.RouteAsync(message, context, CatalogItemKind.Resource, message.GetParamString("uri"), cancellationToken),
            McpMethods.ResourcesSubscribe or McpMethods.ResourcesUnsubscribe => subscriptions.SubscribeAsync(message, context, cancellationToken),
            McpMethods.Complete => routes.RouteCompletionAsync(message, context, cancellationToken),
            McpMethods.SetLevel => logLevels.SetLevelAsync(message, context, cancellationToken),
            _ => ValueTask.FromResult(JsonRpcWriter.Error(message.Id, GatewayErrorCodes.MethodNotFound, $"Method not found: {message.Method}")),
        };
}
