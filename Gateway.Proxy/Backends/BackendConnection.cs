using Gateway.Proxy.JsonRpc;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Gateway.Contracts;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Mcp;
using Gateway.Proxy.Mcp.Replication;

namespace Gateway.Proxy.Backends;

/// <summary>
/// One MCP session with one backend: the initialize handshake, request ids of its own, and the relay of what the
/// backend sends on its own initiative (progress, logging, sampling, elicitation, list_changed) to the right client.
/// Transports (<see cref="HttpBackendConnection"/>, <see cref="StdioBackendConnection"/>) move the bytes.
/// </summary>
internal abstract partial class BackendConnection : IAsyncDisposable
{
    private static long s_progressTokens;
    private readonly ConcurrentDictionary<string, (RelayTarget Target, string OriginalToken)> _progress = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _initializeLock = new(1, 1);
    private readonly BackendEvents _events;
    private long _nextId;
    private volatile bool _initialized;

    protected BackendConnection(BackendOptions options, RelayTarget? owner, JsonElement clientCapabilities, BackendEvents events, ILogger logger)
    {
        Options = options;
        Owner = owner;
        ClientCapabilities = clientCapabilities;
        _events = events;
        Logger = logger;
    }

    public BackendOptions Options { get; }

    public string Backend => Options.Name;

    /// <summary>The client session this backend session belongs to; null for a shared one (stateless backends, catalog).</summary>
    public RelayTarget? Owner { get; }

    /// <summary>The protocol version the backend agreed to.</summary>
    public string? ProtocolVersion { get; private set; }

    protected JsonElement ClientCapabilities { get; }

    protected ILogger Logger { get; }

    protected bool IsDisposed { get; private set; }

    /// <summary>
    /// Sends a request and returns the backend's whole response message. Messages the backend sends about this
    /// request before answering go to <paramref name="relay"/>. Throws <see cref="BackendException"/> on failure.
    /// </summary>
    public async Task<JsonDocument> RequestAsync(string method, ReadOnlyMemory<byte> parameters, RelayTarget? relay, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            await EnsureInitializedAsync(cancellationToken);
            var id = Interlocked.Increment(ref _nextId);
            var message = JsonRpcWriter.Request(id.ToString(CultureInfo.InvariantCulture), method, parameters.Span);
            try
            {
                return await SendRequestAsync(id, message, relay, cancellationToken);
            }
            catch (BackendSessionExpiredException) when (attempt == 0)
            {
                LogSessionExpired(Logger, Backend);
                _initialized = false;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !IsDisposed)
            {
                // Tell the backend to stop working on an answer nobody will read.
                var cancelled = JsonRpcWriter.Request(null, McpMethods.Cancelled,
                    System.Text.Encoding.UTF8.GetBytes($$"""{"requestId":{{id}},"reason":"cancelled by the gateway"}"""));
                _ = SendBestEffortAsync(cancelled);
                throw;
            }
        }
    }

    /// <summary>Sends a notification (e.g. <c>notifications/roots/list_changed</c>) if the session is up.</summary>
    public async Task NotifyAsync(string method, ReadOnlyMemory<byte> parameters, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken);
        await SendMessageAsync(JsonRpcWriter.Request(null, method, parameters.Span), cancellationToken);
    }

    /// <summary>Relays the client's answer to a request this backend made (sampling, elicitation, roots).</summary>
    public Task RespondAsync(string backendId, JsonElement clientResponse, CancellationToken cancellationToken) =>
        SendMessageAsync(JsonRpcWriter.WithId(clientResponse, backendId), cancellationToken);

    /// <summary>
    /// Replaces the client's progress token with one unique in this gateway, so that backend sessions shared by
    /// several clients cannot mix them up; the backend's progress notifications are mapped back.
    /// </summary>
    public string RegisterProgressToken(RelayTarget target, JsonElement originalToken)
    {
        var token = "gwp-" + Interlocked.Increment(ref s_progressTokens).ToString(CultureInfo.InvariantCulture);
        _progress[token] = (target, originalToken.GetRawText());
        return token;
    }

    public void UnregisterProgressToken(string token) => _progress.TryRemove(token, out _);

    public virtual ValueTask DisposeAsync()
    {
        IsDisposed = true;
        _initializeLock.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Makes the transport ready (start the process, forget an old HTTP session).</summary>
    protected abstract Task OpenAsync(CancellationToken cancellationToken);

    /// <summary>Sends one request and waits for the response with <paramref name="id"/>.</summary>
    protected abstract Task<JsonDocument> SendRequestAsync(long id, byte[] message, RelayTarget? relay, CancellationToken cancellationToken);

    /// <summary>Sends a notification or a response.</summary>
    protected abstract Task SendMessageAsync(byte[] message, CancellationToken cancellationToken);

    /// <summary>Called once the handshake is done (the HTTP transport opens its GET stream here).</summary>
    protected virtual void OnInitialized()
    {
    }

    /// <summary>The transport lost the session (process exit); the next request initializes again.</summary>
    protected void MarkUninitialized() => _initialized = false;

    /// <summary>
    /// Handles a message the backend sent that is not the response being awaited. <paramref name="relay"/> is the
    /// client request it belongs to, when the transport knows (HTTP SSE answer); otherwise the owner session.
    /// </summary>
    protected async Task HandleServerMessageAsync(JsonElement message, RelayTarget? relay)
    {
        if (!message.TryGetProperty("method", out var methodElement) || methodElement.GetString() is not { } method)
        {
            return;
        }

        var target = relay ?? Owner;
        if (message.TryGetProperty("id", out var id))
        {
            if (target?.Session is null)
            {
                var refusal = JsonRpcWriter.Error(id, GatewayErrorCodes.MethodNotFound,
                    "No client session to relay this request to (stateless or shared backend session).");
                await SendBestEffortAsync(refusal);
                return;
            }

            var clientId = target.Session.RegisterServerRequest(this, id.GetRawText());
            await target.Sink.SendAsync(JsonRpcWriter.WithId(message, clientId), CancellationToken.None);
            return;
        }

        switch (method)
        {
            case McpMethods.Progress:
                if (message.TryGetProperty("params", out var parameters)
                    && parameters.TryGetProperty("progressToken", out var token)
                    && token.ValueKind == JsonValueKind.String
                    && token.GetString() is { } gatewayToken
                    && _progress.TryGetValue(gatewayToken, out var entry))
                {
                    await entry.Target.Sink.SendAsync(WithProgressToken(message, entry.OriginalToken), CancellationToken.None);
                }

                return;
            case McpMethods.ToolsListChanged or McpMethods.ResourcesListChanged or McpMethods.PromptsListChanged:
                _events.OnListChanged(Backend);
                return;
            default:
                if (target is not null)
                {
                    await target.Sink.SendAsync(ToBytes(message), CancellationToken.None);
                }

                return;
        }
    }

    /// <summary>Parses one message of the backend's; null (and logged) when it is not JSON-RPC.</summary>
    protected JsonDocument? ParseMessage(ReadOnlyMemory<byte> utf8)
    {
        try
        {
            var document = JsonDocument.Parse(utf8);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }

            document.Dispose();
        }
        catch (JsonException)
        {
        }

        LogGarbage(Logger, Backend);
        return null;
    }

    private async Task EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        await _initializeLock.WaitAsync(cancellationToken);
        try
        {
            if (_initialized)
            {
                return;
            }

            await OpenAsync(cancellationToken);
            var id = Interlocked.Increment(ref _nextId);
            var request = JsonRpcWriter.Request(id.ToString(CultureInfo.InvariantCulture), McpMethods.Initialize, InitializeParams());
            using var response = await SendRequestAsync(id, request, Owner, cancellationToken);
            if (!response.RootElement.TryGetProperty("result", out var result))
            {
                throw new BackendException("protocol", $"Backend '{Backend}' refused initialize: {response.RootElement.GetRawText()}");
            }

            ProtocolVersion = result.TryGetProperty("protocolVersion", out var version) ? version.GetString() : McpProtocol.LatestSessionVersion;
            await SendMessageAsync(JsonRpcWriter.Request(null, McpMethods.Initialized, default), cancellationToken);
            _initialized = true;
            LogInitialized(Logger, Backend, ProtocolVersion);
            OnInitialized();
            if (Owner?.Session is { } session && (session.LogLevel is not null || session.Subscriptions.Count > 0))
            {
                // The client chose a level or subscribed before this backend session existed: earlier on this
                // replica, on another replica, or before the backend restarted.
                _ = ReplaySessionStateAsync(session.LogLevel, session.Subscriptions);
            }
        }
        finally
        {
            _initializeLock.Release();
        }
    }

    private async Task ReplaySessionStateAsync(string? level, IReadOnlyList<BackendSubscription> subscriptions)
    {
        if (level is not null)
        {
            await ReplayAsync(McpMethods.SetLevel, JsonSerializer.SerializeToUtf8Bytes(new { level }));
        }

        foreach (var subscription in subscriptions)
        {
            if (string.Equals(subscription.Backend, Backend, StringComparison.Ordinal))
            {
                await ReplayAsync(McpMethods.ResourcesSubscribe, JsonSerializer.SerializeToUtf8Bytes(new { uri = subscription.Uri }));
            }
        }
    }

    private async Task ReplayAsync(string method, byte[] parameters)
    {
        try
        {
            using var timeout = new CancellationTokenSource(Options.Timeout);
            using var response = await RequestAsync(method, parameters, Owner, timeout.Token);
        }
        catch (Exception ex) when (ex is BackendException or OperationCanceledException or ObjectDisposedException)
        {
            LogBestEffortFailed(Logger, Backend, ex.Message);
        }
    }

    private byte[] InitializeParams()
    {
        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        writer.WriteString("protocolVersion"u8, McpProtocol.LatestSessionVersion);
        writer.WritePropertyName("capabilities"u8);
        if (ClientCapabilities.ValueKind == JsonValueKind.Object)
        {
            ClientCapabilities.WriteTo(writer);
        }
        else
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }

        writer.WriteStartObject("clientInfo"u8);
        writer.WriteString("name"u8, McpProtocol.ServerName);
        writer.WriteString("version"u8, McpProtocol.ServerVersion);
        writer.WriteEndObject();
        writer.WriteEndObject();

        return scratch.ToArray();
    }

    private async Task SendBestEffortAsync(byte[] message)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await SendMessageAsync(message, timeout.Token);
        }
        catch (Exception ex) when (ex is BackendException or OperationCanceledException or BackendSessionExpiredException or ObjectDisposedException)
        {
            LogBestEffortFailed(Logger, Backend, ex.Message);
        }
    }

    private static byte[] ToBytes(JsonElement message)
    {
        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        message.WriteTo(writer);

        return scratch.ToArray();
    }

    private static byte[] WithProgressToken(JsonElement message, string originalToken)
    {
        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        foreach (var property in message.EnumerateObject())
        {
            if (!property.NameEquals("params"u8))
            {
                property.WriteTo(writer);
                continue;
            }

            writer.WriteStartObject("params"u8);
            foreach (var parameter in property.Value.EnumerateObject())
            {
                if (parameter.NameEquals("progressToken"u8))
                {
                    writer.WritePropertyName("progressToken"u8);
                    writer.WriteRawValue(originalToken, skipInputValidation: true);
                }
                else
                {
                    parameter.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();

        return scratch.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Backend {Backend} session initialized (protocol {Version})")]
    private static partial void LogInitialized(ILogger logger, string backend, string? version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backend {Backend} forgot our session; initializing again")]
    private static partial void LogSessionExpired(ILogger logger, string backend);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {Backend} sent a message that is not JSON-RPC")]
    private static partial void LogGarbage(ILogger logger, string backend);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Backend {Backend}: best-effort message not delivered: {Reason}")]
    private static partial void LogBestEffortFailed(ILogger logger, string backend, string reason);
}
