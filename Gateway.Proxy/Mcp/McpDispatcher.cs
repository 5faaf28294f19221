using Gateway.Proxy.JsonRpc;
using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Gateway.Contracts;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Backends;
using Gateway.Proxy.Catalog;
using Gateway.Proxy.Pipeline;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Mcp;

/// <summary>Who sent a message, in which session, and where messages about it go.</summary>
internal sealed class McpRequestContext
{
    public required ClientIdentity Client { get; init; }

    /// <summary>The client session; null for stateless (2026-07-28) requests.</summary>
    public McpSession? Session { get; init; }

    /// <summary>Where the backend's progress, logging and requests about this message go.</summary>
    public required IMcpMessageSink Sink { get; init; }
}

/// <summary>
/// Answers one client message, whatever the transport: local methods (ping, lists, discover), routed calls through
/// <see cref="CallPipeline"/> to the owning backend, logging fan-out, and the client's answers to backend requests.
/// </summary>
internal sealed partial class McpDispatcher(
    CatalogService catalog,
    BackendConnections connections,
    CallPipeline pipeline,
    IOptionsMonitor<McpOptions> options,
    ILogger<McpDispatcher> logger)
{
    /// <summary>The response to send, or null for notifications and responses.</summary>
    /// <remarks>
    /// This, <see cref="RouteAsync"/> and <see cref="CallBackendAsync"/> finish asynchronously on every proxied call,
    /// so their state machines come from a pool; the returned task must be awaited once.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<byte[]?> HandleAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken)
    {
        switch (message.Kind)
        {
            case JsonRpcKind.Notification:
                await HandleNotificationAsync(message, context, cancellationToken);
                return null;
            case JsonRpcKind.Response:
                await HandleClientResponseAsync(message, context, cancellationToken);
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

    /// <summary>The <c>initialize</c> result for the version the client asked for (or our latest session-era one).</summary>
    public static string NegotiateVersion(JsonRpcMessage initialize) =>
        initialize.GetParamString("protocolVersion") is { } requested && McpProtocol.IsSessionVersion(requested)
            ? requested
            : McpProtocol.LatestSessionVersion;

    public static byte[] InitializeResult(JsonElement id, string version) => JsonRpcWriter.Result(id, writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("protocolVersion"u8, version);
        WriteCapabilities(writer, logging: true);
        WriteServerInfo(writer, "serverInfo"u8);
        writer.WriteEndObject();
    });

    private ValueTask<byte[]> HandleRequestAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken) =>
        message.Method switch
        {
            McpMethods.Ping => ValueTask.FromResult(JsonRpcWriter.Response(message.Id, "{}"u8, isError: false)),
            McpMethods.Discover => ValueTask.FromResult(DiscoverResult(message.Id)),
            McpMethods.Initialize => ValueTask.FromResult(JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidRequest,
                "Invalid Request: initialize is only valid as the first message of a session.")),
            McpMethods.ToolsList => ListAsync(message, context, CatalogList.Tools, "tools", cancellationToken),
            McpMethods.PromptsList => ListAsync(message, context, CatalogList.Prompts, "prompts", cancellationToken),
            McpMethods.ResourcesList => ListAsync(message, context, CatalogList.Resources, "resources", cancellationToken),
            McpMethods.ResourceTemplatesList => ListAsync(message, context, CatalogList.Templates, "resourceTemplates", cancellationToken),
            McpMethods.ToolsCall => RouteAsync(message, context, CatalogItemKind.Tool, message.GetParamString("name"), cancellationToken),
            McpMethods.PromptsGet => RouteAsync(message, context, CatalogItemKind.Prompt, message.GetParamString("name"), cancellationToken),
            McpMethods.ResourcesRead => RouteAsync(message, context, CatalogItemKind.Resource, message.GetParamString("uri"), cancellationToken),
            McpMethods.ResourcesSubscribe or McpMethods.ResourcesUnsubscribe => SubscribeAsync(message, context, cancellationToken),
            McpMethods.Complete => RouteCompletionAsync(message, context, cancellationToken),
            McpMethods.SetLevel => SetLevelAsync(message, context, cancellationToken),
            _ => ValueTask.FromResult(JsonRpcWriter.Error(message.Id, GatewayErrorCodes.MethodNotFound, $"Method not found: {message.Method}")),
        };

    private async ValueTask<byte[]> ListAsync(JsonRpcMessage message, McpRequestContext context, CatalogList list,
        string arrayName, CancellationToken cancellationToken)
    {
        var offset = 0;
        if (message.GetParamString("cursor") is { } cursor && !TryDecodeCursor(cursor, out offset))
        {
            return JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidParams, "Invalid params: unknown cursor.");
        }

        await catalog.WhenReadyAsync(cancellationToken);
        var kind = CatalogSnapshot.KindOf(list);
        var items = catalog.Current.List(list);
        var pageSize = options.CurrentValue.PageSize;
        return JsonRpcWriter.Result(message.Id, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray(arrayName);
            var visible = 0;
            var written = 0;
            var more = false;
            foreach (var entry in items)
            {
                if (!pipeline.IsVisible(context.Client, kind, entry.Name))
                {
                    continue;
                }

                if (visible++ < offset)
                {
                    continue;
                }

                if (written == pageSize)
                {
                    more = true;
                    break;
                }

                writer.WriteRawValue(entry.Json, skipInputValidation: true);
                written++;
            }

            writer.WriteEndArray();
            if (more)
            {
                writer.WriteString("nextCursor"u8, EncodeCursor(offset + written));
            }

            writer.WriteEndObject();
        });
    }

    private ValueTask<byte[]> RouteCompletionAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken)
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

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<byte[]> RouteAsync(JsonRpcMessage message, McpRequestContext context, CatalogItemKind kind, string? target,
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
            Arguments = ArgumentsOf(message),
        };
        if (entry is null || backend is null)
        {
            var unknown = kind == CatalogItemKind.Tool
                // Like the MCP SDKs: an unknown tool is a failed tool call the model can read, not a protocol error.
                ? new BackendResult(ToolError($"Unknown tool: {target}"), IsError: false, ErrorCode: null, BackendFailed: false)
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
            var parameters = RewriteParams(message, entry, progressToken);
            using var response = await connection.RequestAsync(message.Method!, parameters, relay, cancellationToken);
            return ToResult(response.RootElement, backend.Name);
        }
        catch (BackendException ex)
        {
            LogBackendFailed(logger, backend.Name, ex.Kind, ex.Message);
            return Failure(GatewayErrorCodes.BackendUnavailable, $"Backend '{backend.Name}' failed: {ex.Message}", ex.Kind);
        }
        finally
        {
            if (progressToken is not null)
            {
                connection.UnregisterProgressToken(progressToken);
            }
        }
    }

    /// <summary>
    /// Subscriptions go to the resource's owner; a URI no backend lists (resources can exist unlisted) goes to every
    /// backend, and the subscription holds if one accepted it. Not a routed call: RBAC visibility is checked here.
    /// </summary>
    private async ValueTask<byte[]> SubscribeAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken)
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

    private async Task<BackendResult?> SubscribeOneAsync(string method, McpRequestContext context, BackendOptions backend, byte[] parameters,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(backend.Timeout);
        try
        {
            using var response = await connections.For(context.Session, backend)
                .RequestAsync(method, parameters, new RelayTarget(context.Session, context.Sink), timeout.Token);
            return ToResult(response.RootElement, backend.Name);
        }
        catch (Exception ex) when (ex is BackendException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogBackendFailed(logger, backend.Name, method, ex.Message);
            return null;
        }
    }

    /// <summary>A tool result with <c>isError</c> and one text item.</summary>
    private static byte[] ToolError(string text)
    {
        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        writer.WriteStartArray("content"u8);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text"u8);
        writer.WriteString("text"u8, text);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteBoolean("isError"u8, true);
        writer.WriteEndObject();

        return scratch.ToArray();
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

    /// <summary>A backend's JSON-RPC response as a result to relay; one with neither result nor error is not MCP.</summary>
    private static BackendResult ToResult(JsonElement response, string backend)
    {
        if (response.TryGetProperty("result", out var result))
        {
            return new BackendResult(JsonMarshal.GetRawUtf8Value(result).ToArray(), IsError: false, ErrorCode: null, BackendFailed: false);
        }

        if (!response.TryGetProperty("error", out var error))
        {
            return Failure(GatewayErrorCodes.BackendUnavailable, $"Backend '{backend}' answered with neither a result nor an error.", "protocol");
        }

        int? code = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code", out var c) && c.TryGetInt32(out var value) ? value : null;
        return new BackendResult(JsonMarshal.GetRawUtf8Value(error).ToArray(), IsError: true, code, BackendFailed: false);
    }

    private static BackendResult Failure(int code, string text, string kind) =>
        new(JsonRpcWriter.ErrorObject(code, text), IsError: true, code, BackendFailed: true, kind, text);

    /// <summary>Params as the backend must see them: its own name for the item, and the gateway's progress token.</summary>
    private static byte[] RewriteParams(JsonRpcMessage message, CatalogEntry entry, string? progressToken)
    {
        var renamed = entry.OriginalName != entry.Name;
        if (message.Method == McpMethods.Complete)
        {
            return renamed
                ? RewriteCompletionRef(message.Params, entry.OriginalName)
                : JsonMarshal.GetRawUtf8Value(message.Params).ToArray();
        }

        if (!renamed && progressToken is null)
        {
            return message.Params.ValueKind == JsonValueKind.Object ? JsonMarshal.GetRawUtf8Value(message.Params).ToArray() : [];
        }

        var nameProperty = message.Method is McpMethods.ToolsCall or McpMethods.PromptsGet ? "name" : "uri";
        return JsonRpcWriter.RewriteParams(message.Params, nameProperty, renamed ? entry.OriginalName : null, progressToken);
    }

    private static byte[] RewriteCompletionRef(JsonElement parameters, string originalName)
    {
        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        foreach (var property in parameters.EnumerateObject())
        {
            if (property.NameEquals("ref"u8))
            {
                writer.WritePropertyName("ref"u8);
                // A prompt reference names its prompt; a resource reference carries its URI.
                var key = property.Value.TryGetProperty("type", out var type) && type.ValueEquals("ref/resource"u8) ? "uri" : "name";
                writer.WriteRawValue(JsonRpcWriter.WithProperty(property.Value, key, originalName), skipInputValidation: true);
            }
            else
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();

        return scratch.ToArray();
    }

    private static JsonElement? ArgumentsOf(JsonRpcMessage message) =>
        message.Params.ValueKind == JsonValueKind.Object && message.Params.TryGetProperty("arguments", out var arguments) ? arguments : null;

    private async ValueTask<byte[]> SetLevelAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken)
    {
        if (message.GetParamString("level") is not { } level)
        {
            return JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidParams, "Invalid params: \"level\" is required.");
        }

        if (context.Session is { } session)
        {
            session.LogLevel = level;
            var parameters = JsonMarshal.GetRawUtf8Value(message.Params).ToArray();
            var backends = connections.All();
            await Task.WhenAll(backends.Select(backend => SetBackendLevelAsync(session, backend, parameters, cancellationToken)));
        }

        return JsonRpcWriter.Response(message.Id, "{}"u8, isError: false);
    }

    private async Task SetBackendLevelAsync(McpSession session, BackendOptions backend, byte[] parameters, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(backend.Timeout);
        try
        {
            using var response = await connections.For(session, backend).RequestAsync(McpMethods.SetLevel, parameters, session.DefaultTarget, timeout.Token);
        }
        catch (Exception ex) when (ex is BackendException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogBackendFailed(logger, backend.Name, "logging/setLevel", ex.Message);
        }
    }

    private async Task HandleNotificationAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken)
    {
        if (context.Session is not { } session)
        {
            return;
        }

        switch (message.Method)
        {
            case McpMethods.Cancelled:
                if (message.Params.ValueKind == JsonValueKind.Object && message.Params.TryGetProperty("requestId", out var requestId))
                {
                    session.CancelRequest(requestId.GetRawText());
                }

                break;
            case McpMethods.RootsListChanged:
                foreach (var connection in session.Connections)
                {
                    try
                    {
                        await connection.NotifyAsync(McpMethods.RootsListChanged, default, cancellationToken);
                    }
                    catch (BackendException ex)
                    {
                        LogBackendFailed(logger, connection.Backend, "roots/list_changed", ex.Message);
                    }
                }

                break;
        }
    }

    private async Task HandleClientResponseAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken)
    {
        if (context.Session is { } session && session.TryTakeServerRequest(message.Id.GetRawText(), out var connection, out var backendId))
        {
            try
            {
                await connection.RespondAsync(backendId, message.Root, cancellationToken);
            }
            catch (BackendException ex)
            {
                LogBackendFailed(logger, connection.Backend, "response relay", ex.Message);
            }
        }
    }

    private static byte[] DiscoverResult(JsonElement id) => JsonRpcWriter.Result(id, writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("resultType"u8, "complete"u8);
        writer.WriteStartArray("supportedVersions"u8);
        foreach (var version in McpProtocol.AllVersions)
        {
            writer.WriteStringValue(version);
        }

        writer.WriteEndArray();
        WriteCapabilities(writer, logging: false);
        WriteServerInfo(writer, "serverInfo"u8);
        writer.WriteStartObject("_meta"u8);
        WriteServerInfo(writer, Encoding.UTF8.GetBytes(McpProtocol.MetaServerInfo));
        writer.WriteEndObject();
        writer.WriteEndObject();
    });

    private static void WriteCapabilities(Utf8JsonWriter writer, bool logging)
    {
        writer.WriteStartObject("capabilities"u8);
        writer.WriteStartObject("tools"u8);
        writer.WriteBoolean("listChanged"u8, true);
        writer.WriteEndObject();
        writer.WriteStartObject("resources"u8);
        writer.WriteBoolean("subscribe"u8, true);
        writer.WriteBoolean("listChanged"u8, true);
        writer.WriteEndObject();
        writer.WriteStartObject("prompts"u8);
        writer.WriteBoolean("listChanged"u8, true);
        writer.WriteEndObject();
        writer.WriteStartObject("completions"u8);
        writer.WriteEndObject();
        if (logging)
        {
            writer.WriteStartObject("logging"u8);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteServerInfo(Utf8JsonWriter writer, ReadOnlySpan<byte> propertyName)
    {
        writer.WriteStartObject(propertyName);
        writer.WriteString("name"u8, McpProtocol.ServerName);
        writer.WriteString("version"u8, McpProtocol.ServerVersion);
        writer.WriteEndObject();
    }

    private static string EncodeCursor(int offset) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes("o:" + offset.ToString(CultureInfo.InvariantCulture)));

    private static bool TryDecodeCursor(string cursor, out int offset)
    {
        offset = 0;
        Span<byte> bytes = stackalloc byte[64];
        return cursor.Length <= 64
            && Convert.TryFromBase64String(cursor, bytes, out var length)
            && length > 2 && bytes[0] == (byte)'o' && bytes[1] == (byte)':'
            && Utf8Parser.TryParse(bytes[2..length], out offset, out var consumed)
            && consumed == length - 2
            && offset >= 0;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {Backend} failed ({Kind}): {Reason}")]
    private static partial void LogBackendFailed(ILogger logger, string backend, string kind, string reason);
}
