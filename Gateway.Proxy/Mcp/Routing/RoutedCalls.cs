using System.Runtime.CompilerServices;
using System.Text.Json;
using Gateway.Contracts;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Backends;
using Gateway.Proxy.Catalog;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Mcp.Routing;

/// <summary>
/// Calls routed to the backend that owns their target (<c>tools/call</c>, <c>prompts/get</c>, <c>resources/read</c>,
/// <c>completion/complete</c>), through <see cref="CallPipeline"/>.
/// </summary>
internal sealed class RoutedCalls(
    CatalogService catalog,
    BackendConnections connections,
    CallPipeline pipeline,
    ILogger<RoutedCalls> logger)
{
    public ValueTask<byte[]> RouteCompletionAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken)
    {
        if (message.Params.ValueKind != JsonValueKind.Object
            || !message.Params.TryGetProperty("ref", out var reference)
            || reference.ValueKind != JsonValueKind.Object
            || !reference.TryGetProperty("type", out var type))
        {
            return ValueTask.FromResult(JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidParams, "Invalid params: \"ref\" is required."));
        }

        return type.GetString() switch
        {
            "ref/prompt" => RouteAsync(message, context, CatalogItemKind.Prompt,
                reference.TryGetProperty("name", out var name) ? name.GetString() : null, cancellationToken),
            "ref/resource" => RouteAsync(message, context, CatalogItemKind.Resource,
                reference.TryGetProperty("uri", out var uri) ? uri.GetString() : null, cancellationToken),
            _ => ValueTask.FromResult(JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidParams, "Invalid params: unknown \"ref\" type.")),
        };
    }

    /// <remarks>
    /// This and <see cref="CallBackendAsync"/> finish asynchronously on every proxied call, so their state machines
    /// come from a pool; the returned task must be awaited once.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<byte[]> RouteAsync(JsonRpcMessage message, McpRequestContext context, CatalogItemKind kind, string? target,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(target))
        {
            return JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidParams,
                $"Invalid params: {(kind == CatalogItemKind.Resource ? "\"uri\"" : "\"name\"")} is required.");
        }

        await catalog.WhenReadyAsync(cancellationToken);
        var entry = Find(catalog.Current, kind, target);
        if (entry is null && catalog.HasStale)
        {
            // The owner may be a backend that was down when the catalog was last read.
            await catalog.RefreshStaleAsync(cancellationToken);
            entry = Find(catalog.Current, kind, target);
        }

        var backend = entry is null ? null : connections.Find(entry.Backend);
        var call = new CallContext
        {
            Method = message.Method!,
            Client = context.Client,
            Target = target,
            TargetKind = kind,
            Backend = backend?.Name,
            RequestId = message.IdText,
            SessionId = context.Session?.Id,
            Arguments = BackendParameters.ArgumentsOf(message),
        };
        if (entry is null || backend is null)
        {
            var unknown = kind == CatalogItemKind.Tool
                // Like the MCP SDKs: an unknown tool is a failed tool call the model can read, not a protocol error.
                ? new BackendResult(BackendResults.ToolError($"Unknown tool: {target}"), IsError: false, ErrorCode: null, BackendFailed: false)
                : JsonRpcRefusal.Error(GatewayErrorCodes.InvalidParams, $"Unknown {KindName(kind)}: {target}");
            var refused = await pipeline.RefuseUnknownAsync(call, unknown);
            return JsonRpcWriter.Response(message.Id, refused.Response.Span, refused.IsError);
        }

        var result = await pipeline.InvokeAsync(call, token => CallBackendAsync(message, context, backend, entry, token), cancellationToken);
        return JsonRpcWriter.Response(message.Id, result.Response.Span, result.IsError);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<BackendResult> CallBackendAsync(JsonRpcMessage message, McpRequestContext context, BackendOptions backend,
        CatalogEntry entry, CancellationToken cancellationToken)
    {
        // The pipeline bounds this call with the backend's timeout (and answers -32006 when it expires).
        var connection = connections.For(context.Session, backend);
        var relay = new RelayTarget(context.Session, context.Sink);
        var clientToken = message.GetMeta("progressToken");
        var progressToken = clientToken.ValueKind is JsonValueKind.String or JsonValueKind.Number
            ? connection.RegisterProgressToken(relay, clientToken)
            : null;
        try
        {
            var parameters = BackendParameters.Rewrite(message, entry, progressToken);
            using var response = await connection.RequestAsync(message.Method!, parameters, relay, cancellationToken);
            return BackendResults.FromResponse(response.RootElement, backend.Name);
        }
        catch (BackendException ex)
        {
            BackendFailureLog.BackendFailed(logger, backend.Name, ex.Kind, ex.Message);
            return BackendResults.Failure(GatewayErrorCodes.BackendUnavailable, $"Backend '{backend.Name}' failed: {ex.Message}", ex.Kind);
        }
        finally
        {
            if (progressToken is not null)
            {
                connection.UnregisterProgressToken(progressToken);
            }
        }
    }

    private static CatalogEntry? Find(CatalogSnapshot snapshot, CatalogItemKind kind, string target) => kind switch
    {
        CatalogItemKind.Tool => snapshot.FindTool(target),
        CatalogItemKind.Prompt => snapshot.FindPrompt(target),
        _ => snapshot.FindResource(target),
    };

    private static string KindName(CatalogItemKind kind) => kind switch
    {
        CatalogItemKind.Tool => "tool",
        CatalogItemKind.Prompt => "prompt",
        _ => "resource",
    };
}
