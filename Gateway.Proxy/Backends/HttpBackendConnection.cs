using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Mcp;

namespace Gateway.Proxy.Backends;

/// <summary>
/// A session with a Streamable HTTP MCP server: POSTs answered with JSON or SSE, <c>Mcp-Session-Id</c> and
/// <c>MCP-Protocol-Version</c> on every request, a GET stream for what the server sends unprompted, DELETE on close.
/// </summary>
internal sealed partial class HttpBackendConnection : BackendConnection
{
    private const string PostAccept = MediaTypes.Json + ", " + MediaTypes.EventStream;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _lifetime = new();
    private volatile string? _sessionId;

    public HttpBackendConnection(BackendOptions options, RelayTarget? owner, JsonElement clientCapabilities, HttpClient http,
        TimeProvider time, BackendEvents events, ILogger logger)
        : base(options, owner, clientCapabilities, events, logger)
    {
        _http = http;
        _time = time;
    }

    private Uri Url => Options.Url ?? throw new BackendException("protocol", $"Backend '{Backend}' has no Url.");

    public override async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync();
        if (_sessionId is { } sessionId)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Delete, Url);
                request.Headers.Add(McpProtocol.SessionIdHeader, sessionId);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                using var response = await _http.SendAsync(request, timeout.Token);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or ObjectDisposedException)
            {
                // The backend ends idle sessions on its own; a lost DELETE costs nothing else. The pooled client may
                // already be gone when sessions are ended while the host is being disposed.
            }
        }

        _lifetime.Dispose();
        await base.DisposeAsync();
    }

    protected override Task OpenAsync(CancellationToken cancellationToken)
    {
        _sessionId = null;
        return Task.CompletedTask;
    }

    protected override async Task<BackendMessage> SendRequestAsync(long id, byte[] message, RelayTarget? relay, CancellationToken cancellationToken)
    {
        using var request = CreatePost(message);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new BackendException("transport", $"Backend '{Backend}' is unreachable: {ex.Message}", ex);
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound && _sessionId is not null)
            {
                throw new BackendSessionExpiredException($"Backend '{Backend}' answered 404 for session {_sessionId}.");
            }

            if (response.StatusCode == HttpStatusCode.BadRequest && _sessionId is not null)
            {
                return await SessionAnswerOrExpiredAsync(response, id, cancellationToken);
            }

            if (response.Headers.TryGetValues(McpProtocol.SessionIdHeader, out var sessionIds))
            {
                _sessionId = sessionIds.FirstOrDefault();
            }

            if ((int)response.StatusCode >= 500)
            {
                throw new BackendException("transport", $"Backend '{Backend}' answered HTTP {(int)response.StatusCode}.");
            }

            try
            {
                return await ReadAnswerAsync(response, id, relay, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                throw new BackendException("transport", $"Backend '{Backend}' broke off its answer: {ex.Message}", ex);
            }
        }
    }

    /// <summary>
    /// A 400 on a session: some servers (the reference server-everything among them) answer a session they do not know
    /// with 400 and a JSON-RPC error without an id instead of the 404 the specification asks for, typically after a
    /// restart that forgot every session; that is a lost session, re-initialized once by the caller. An error that
    /// answers this request is the backend's own answer.
    /// </summary>
    private async Task<BackendMessage> SessionAnswerOrExpiredAsync(HttpResponseMessage response, long id, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var document = ParseMessage(body);
        if (document is not null && IsResponseTo(document.RootElement, id))
        {
            return document;
        }

        document?.Dispose();
        throw new BackendSessionExpiredException($"Backend '{Backend}' answered 400 without answering the request on session {_sessionId}: {Truncate(body)}");
    }

    private async Task<BackendMessage> ReadAnswerAsync(HttpResponseMessage response, long id, RelayTarget? relay, CancellationToken cancellationToken)
    {
        // Read unparsed: ContentType would build a MediaTypeHeaderValue for every answer.
        if (response.Content.Headers.NonValidated.TryGetValues("Content-Type", out var contentType)
            && MediaTypes.Is(contentType.ToString(), MediaTypes.EventStream))
        {
            return await ReadSseAnswerAsync(response, id, relay, cancellationToken);
        }

        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var document = ParseMessage(body);
        if (document is null || !IsResponseTo(document.RootElement, id))
        {
            document?.Dispose();
            throw new BackendException("protocol",
                $"Backend '{Backend}' answered HTTP {(int)response.StatusCode} without a JSON-RPC response: {Truncate(body)}");
        }

        return document;
    }

    protected override async Task SendMessageAsync(byte[] message, CancellationToken cancellationToken)
    {
        using var request = CreatePost(message);
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound && _sessionId is not null)
            {
                MarkUninitialized();
            }
        }
        catch (HttpRequestException ex)
        {
            throw new BackendException("transport", $"Backend '{Backend}' is unreachable: {ex.Message}", ex);
        }
    }

    protected override void OnInitialized()
    {
        if (_sessionId is { } sessionId)
        {
            _ = ListenAsync(sessionId, _lifetime.Token);
        }
    }

    private HttpRequestMessage CreatePost(byte[] message)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Url) { Content = new ByteArrayContent(message) };
        // Constants, added unparsed: HttpClient writes them as given, without building header objects per call.
        request.Content.Headers.TryAddWithoutValidation("Content-Type", MediaTypes.Json);
        request.Headers.TryAddWithoutValidation("Accept", PostAccept);
        AddSessionHeaders(request);
        return request;
    }

    private void AddSessionHeaders(HttpRequestMessage request)
    {
        // Unparsed, like the constant headers: the backend gave the session id, the version is one of ours.
        if (_sessionId is { } sessionId)
        {
            request.Headers.TryAddWithoutValidation(McpProtocol.SessionIdHeader, sessionId);
        }

        if (ProtocolVersion is { } version)
        {
            request.Headers.TryAddWithoutValidation(McpProtocol.ProtocolVersionHeader, version);
        }
    }

    private async Task<BackendMessage> ReadSseAnswerAsync(HttpResponseMessage response, long id, RelayTarget? relay, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        await foreach (var data in SseReader.ReadDataAsync(stream, cancellationToken))
        {
            if (data.Length == 0)
            {
                continue;
            }

            var document = ParseMessage(Encoding.UTF8.GetBytes(data));
            if (document is null)
            {
                continue;
            }

            if (IsResponseTo(document.RootElement, id))
            {
                return document;
            }

            using (document)
            {
                await HandleServerMessageAsync(document.RootElement, relay);
            }
        }

        throw new BackendException("protocol", $"Backend '{Backend}' closed its SSE answer without a response.");
    }

    /// <summary>Relays what the backend sends on the session's GET stream until the session or the stream ends.</summary>
    private async Task ListenAsync(string sessionId, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && _sessionId == sessionId)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, Url);
                request.Headers.TryAddWithoutValidation("Accept", MediaTypes.EventStream);
                AddSessionHeaders(request);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    // 405: the backend offers no GET stream. 404: the session is gone; the next call re-initializes.
                    return;
                }

                await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                await foreach (var data in SseReader.ReadDataAsync(stream, cancellationToken))
                {
                    using var document = data.Length == 0 ? null : ParseMessage(Encoding.UTF8.GetBytes(data));
                    if (document is not null)
                    {
                        await HandleServerMessageAsync(document.RootElement, null);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                LogStreamLost(Logger, Backend, ex.Message);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static bool IsResponseTo(JsonElement message, long id) =>
        message.TryGetProperty("id", out var responseId)
        && responseId.ValueKind == JsonValueKind.Number
        && responseId.TryGetInt64(out var value)
        && value == id
        && !message.TryGetProperty("method", out _)
        && (message.TryGetProperty("result", out _) || message.TryGetProperty("error", out _));

    private static string Truncate(byte[] body) =>
        body.Length == 0 ? "(empty body)" : Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200));

    [LoggerMessage(Level = LogLevel.Debug, Message = "Backend {Backend}: GET stream lost: {Reason}")]
    private static partial void LogStreamLost(ILogger logger, string backend, string reason);
}
