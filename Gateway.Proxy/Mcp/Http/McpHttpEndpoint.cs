using Gateway.Proxy.JsonRpc;
using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Text.Json;
using System.Threading.Channels;
using Gateway.Contracts;
using Gateway.Proxy.Audit;
using Gateway.Authentication.Upstream;
using Gateway.Proxy.Pipeline;
using Gateway.Authentication;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Mcp.Http;

/// <summary>
/// The Streamable HTTP transport at <c>/mcp</c>. Session-era requests (2025-03-26 … 2025-11-25) get
/// <c>Mcp-Session-Id</c> at initialize and need it afterwards; 2026-07-28 requests are stateless, carry their version
/// in <c>_meta</c> and name their method in <c>Mcp-Method</c>. Every check that can refuse a request runs before
/// the body is dispatched, and every refusal is a JSON-RPC error with the right HTTP status.
/// </summary>
internal sealed class McpHttpEndpoint(
    McpDispatcher dispatcher,
    McpSessionStore sessions,
    AuditRecorder audit,
    GatewayCallerAuthenticator callers,
    UpstreamCredentials credentials,
    IOptionsMonitor<McpOptions> options,
    TimeProvider time)
{
    private static readonly byte[] s_eventPrefix = "event: message\ndata: "u8.ToArray();
    private static readonly byte[] s_eventSuffix = "\n\n"u8.ToArray();

    public async Task PostAsync(HttpContext http)
    {
        var settings = options.CurrentValue;
        if (await RefuseForeignAsync(http, settings) || await AuthenticateAsync(http) is not { } client)
        {
            return;
        }

        // Set here, not in AuthenticateAsync: a value set inside an awaited method does not flow back to its caller.
        if (credentials.ExchangesUserTokens())
        {
            CallingUser.Set(client.User is null ? null : GatewayCallerAuthenticator.AccessTokenOf(http.User));
        }

        var request = http.Request;
        if (request.ContentLength > settings.MaxRequestBytes)
        {
            await WriteErrorAsync(http, StatusCodes.Status413PayloadTooLarge, GatewayErrorCodes.RequestTooLarge,
                $"Request body exceeds {settings.MaxRequestBytes} bytes.");
            return;
        }

        if (!IsJsonContent(request.ContentType))
        {
            await WriteErrorAsync(http, StatusCodes.Status415UnsupportedMediaType, GatewayErrorCodes.TransportError,
                "Content-Type must be application/json.");
            return;
        }

        var accept = Negotiate(request.Headers.Accept);
        if (accept == Accepts.None)
        {
            await WriteErrorAsync(http, StatusCodes.Status406NotAcceptable, GatewayErrorCodes.TransportError,
                "Accept must include application/json and text/event-stream.");
            return;
        }

        // Cancelled when the request timeout passes or the client goes away: one source and a registration rather
        // than a timer source plus a linked one, on every call.
        using var cancellation = new CancellationTokenSource(settings.RequestTimeout, time);
        using var aborted = http.RequestAborted.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), cancellation);
        ReadOnlyMemory<byte>? body;
        try
        {
            body = await ReadBodyAsync(request.BodyReader, settings.MaxRequestBytes, cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            // A client that stops sending gets 408; one that went away gets nothing.
            if (!http.RequestAborted.IsCancellationRequested)
            {
                await WriteErrorAsync(http, StatusCodes.Status408RequestTimeout, GatewayErrorCodes.TransportError,
                    $"Request body not received within {settings.RequestTimeout.TotalSeconds:0.###} s.");
            }

            return;
        }

        if (body is null)
        {
            await WriteErrorAsync(http, StatusCodes.Status413PayloadTooLarge, GatewayErrorCodes.RequestTooLarge,
                $"Request body exceeds {settings.MaxRequestBytes} bytes.");
            return;
        }

        if (IsBatch(body.Value.Span))
        {
            await HandleBatchAsync(http, body.Value, client, accept, cancellation.Token);
            return;
        }

        using var message = JsonRpcMessage.TryParse(body.Value, out var parseError);
        if (message is null)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, parseError.Code, parseError.Message);
            return;
        }

        var headerVersion = request.Headers[McpProtocol.ProtocolVersionHeader].ToString();
        if (headerVersion.Length > 0 && !McpProtocol.IsSupported(headerVersion))
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, GatewayErrorCodes.TransportError,
                $"Unsupported MCP-Protocol-Version '{headerVersion}'; supported: {string.Join(", ", McpProtocol.AllVersions)}.");
            return;
        }

        var metaVersion = message.GetMeta(McpProtocol.MetaProtocolVersion).ValueKind == System.Text.Json.JsonValueKind.String
            ? message.GetMeta(McpProtocol.MetaProtocolVersion).GetString()
            : null;
        var stateless = headerVersion == McpProtocol.StatelessVersion || metaVersion == McpProtocol.StatelessVersion;
        if (HeaderMismatch(request.Headers, message, stateless) is { } mismatch)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, GatewayErrorCodes.HeaderMismatch, mismatch);
            return;
        }

        McpSession? session = null;
        if (stateless)
        {
            if (metaVersion is not null && metaVersion != McpProtocol.StatelessVersion || headerVersion.Length > 0 && headerVersion != McpProtocol.StatelessVersion)
            {
                await WriteErrorAsync(http, StatusCodes.Status400BadRequest, GatewayErrorCodes.TransportError,
                    "MCP-Protocol-Version and _meta protocol version disagree.");
                return;
            }
        }
        else if (message.Method == McpMethods.Initialize)
        {
            await InitializeAsync(http, message, client, settings);
            return;
        }
        else if (await FindSessionAsync(http, client) is not { } found)
        {
            return;
        }
        else
        {
            session = found;
        }

        try
        {
            if (!message.IsRequest)
            {
                await dispatcher.HandleAsync(message, new McpRequestContext { Client = client, Session = session, Sink = NullSink(session) },
                    cancellation.Token);
                http.Response.StatusCode = StatusCodes.Status202Accepted;
                return;
            }

            if (accept.HasFlag(Accepts.EventStream) && (MayStream(message.Method) || !accept.HasFlag(Accepts.Json)))
            {
                await StreamAnswerAsync(http, message, client, session, cancellation.Token);
            }
            else
            {
                var context = new McpRequestContext { Client = client, Session = session, Sink = NullSink(session) };
                var response = await dispatcher.HandleAsync(message, context, cancellation.Token);
                await WriteJsonAsync(http, StatusCodes.Status200OK, response!);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            if (!http.Response.HasStarted)
            {
                await WriteErrorAsync(http, StatusCodes.Status504GatewayTimeout, GatewayErrorCodes.TransportError,
                    $"Request not answered within {settings.RequestTimeout.TotalSeconds:0.###} s.", message.Id);
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to answer.
        }
    }

    public async Task GetAsync(HttpContext http)
    {
        if (await RefuseForeignAsync(http, options.CurrentValue) || await RefuseStatelessAsync(http) || await AuthenticateAsync(http) is not { } client)
        {
            return;
        }

        if (!Negotiate(http.Request.Headers.Accept).HasFlag(Accepts.EventStream))
        {
            await WriteErrorAsync(http, StatusCodes.Status406NotAcceptable, GatewayErrorCodes.TransportError, "Accept must include text/event-stream.");
            return;
        }

        if (await FindSessionAsync(http, client) is not { } session)
        {
            return;
        }

        StartEventStream(http);
        await session.StreamOpenedAsync();
        try
        {
            await http.Response.Body.FlushAsync(http.RequestAborted);
            await foreach (var message in session.Outbound.Reader.ReadAllAsync(http.RequestAborted))
            {
                await WriteEventAsync(http.Response.BodyWriter, message, http.RequestAborted);
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
        finally
        {
            session.StreamClosed();
        }
    }

    public async Task DeleteAsync(HttpContext http)
    {
        if (await RefuseForeignAsync(http, options.CurrentValue) || await RefuseStatelessAsync(http) || await AuthenticateAsync(http) is not { } client)
        {
            return;
        }

        if (await FindSessionAsync(http, client) is not { } session)
        {
            return;
        }

        await sessions.RemoveAsync(session.Id);
        http.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>
    /// A JSON-RPC batch. Protocol 2025-03-26 allowed them ("an array batching one or more requests and/or
    /// notifications", or responses); 2025-06-18 removed batching, so later sessions (and stateless requests) get
    /// 400 with -32600. Each element is answered as if sent alone, except that <c>initialize</c> may not be batched;
    /// the answers come back as one JSON array (or as SSE events for a client that accepts only those), and a batch
    /// of notifications and responses only gets 202.
    /// </summary>
    private async Task HandleBatchAsync(HttpContext http, ReadOnlyMemory<byte> body, ClientIdentity client, Accepts accept,
        CancellationToken cancellationToken)
    {
        var headerVersion = http.Request.Headers[McpProtocol.ProtocolVersionHeader].ToString();
        if (headerVersion.Length > 0 && headerVersion != McpProtocol.BatchVersion)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, GatewayErrorCodes.InvalidRequest,
                $"Invalid Request: JSON-RPC batches are not supported in protocol {headerVersion} (only {McpProtocol.BatchVersion}).");
            return;
        }

        if (await FindSessionAsync(http, client) is not { } session)
        {
            return;
        }

        if (session.ProtocolVersion != McpProtocol.BatchVersion)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, GatewayErrorCodes.InvalidRequest,
                $"Invalid Request: JSON-RPC batches are not supported in protocol {session.ProtocolVersion} (only {McpProtocol.BatchVersion}).");
            return;
        }

        List<byte[]> answers;
        try
        {
            using var batch = JsonDocument.Parse(body);
            if (batch.RootElement.GetArrayLength() == 0)
            {
                await WriteErrorAsync(http, StatusCodes.Status400BadRequest, GatewayErrorCodes.InvalidRequest, "Invalid Request: empty batch.");
                return;
            }

            var context = new McpRequestContext { Client = client, Session = session, Sink = session.Outbound };
            var pending = batch.RootElement.EnumerateArray()
                .Select(element => AnswerBatchElementAsync(JsonMarshal.GetRawUtf8Value(element).ToArray(), context, cancellationToken))
                .ToArray();
            answers = [.. (await Task.WhenAll(pending)).OfType<byte[]>()];
        }
        catch (JsonException)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, GatewayErrorCodes.ParseError, "Parse error: the body is not valid JSON.");
            return;
        }

        if (answers.Count == 0)
        {
            http.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        if (!accept.HasFlag(Accepts.Json))
        {
            StartEventStream(http);
            foreach (var answer in answers)
            {
                await WriteEventAsync(http.Response.BodyWriter, answer, cancellationToken);
            }

            return;
        }

        var array = new ArrayBufferWriter<byte>();
        array.Write("["u8);
        for (var i = 0; i < answers.Count; i++)
        {
            if (i > 0)
            {
                array.Write(","u8);
            }

            array.Write(answers[i]);
        }

        array.Write("]"u8);
        await WriteJsonAsync(http, StatusCodes.Status200OK, array.WrittenSpan.ToArray());
    }

    /// <summary>One batch element's answer: the response to a request, an error for an invalid one, null otherwise.</summary>
    private async Task<byte[]?> AnswerBatchElementAsync(byte[] element, McpRequestContext context, CancellationToken cancellationToken)
    {
        using var message = JsonRpcMessage.TryParse(element, out var error);
        if (message is null)
        {
            return JsonRpcWriter.Error(default, error.Code, error.Message);
        }

        if (message.Method == McpMethods.Initialize)
        {
            return message.IsRequest
                ? JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidRequest, "Invalid Request: initialize must not be part of a JSON-RPC batch.")
                : null;
        }

        return await dispatcher.HandleAsync(message, context, cancellationToken);
    }

    /// <summary>Whether the body is a JSON array (a batch): its first non-whitespace byte is '['.</summary>
    private static bool IsBatch(ReadOnlySpan<byte> body)
    {
        var start = body.IndexOfAnyExcept(" \t\r\n"u8);
        return start >= 0 && body[start] == (byte)'[';
    }

    private async Task InitializeAsync(HttpContext http, JsonRpcMessage message, ClientIdentity client, McpOptions settings)
    {
        if (!message.IsRequest)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, GatewayErrorCodes.InvalidRequest, "initialize must be a request.");
            return;
        }

        var version = McpDispatcher.NegotiateVersion(message);
        var capabilities = message.Params.ValueKind == JsonValueKind.Object && message.Params.TryGetProperty("capabilities", out var c) ? c : default;
        var session = new McpSession(McpSessionStore.NewSessionId(), client, version, capabilities, settings.SessionBufferSize, time);
        if (!await sessions.TryAddAsync(session))
        {
            await session.DisposeAsync();
            await WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable, GatewayErrorCodes.TransportError,
                $"Too many MCP sessions on this gateway (limit {settings.MaxSessions}): end unused sessions with DELETE, or retry later.",
                message.Id);
            return;
        }

        http.Response.Headers[McpProtocol.SessionIdHeader] = session.Id;
        await WriteJsonAsync(http, StatusCodes.Status200OK, McpDispatcher.InitializeResult(message.Id, version));
    }

    /// <summary>
    /// Answers as an SSE stream so the backend's progress, logging and requests about this call reach the client
    /// before the response, which is the last event.
    /// </summary>
    private async Task StreamAnswerAsync(HttpContext http, JsonRpcMessage message, ClientIdentity client, McpSession? session,
        CancellationToken cancellationToken)
    {
        var related = new ChannelMessageSink(Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true }));
        var context = new McpRequestContext { Client = client, Session = session, Sink = related };
        var answer = DispatchThenCompleteAsync(message, context, related, cancellationToken);
        StartEventStream(http);
        await foreach (var item in related.Reader.ReadAllAsync(cancellationToken))
        {
            await WriteEventAsync(http.Response.BodyWriter, item, cancellationToken);
        }

        var response = await answer;
        await WriteEventAsync(http.Response.BodyWriter, response, cancellationToken);
    }

    private async Task<byte[]> DispatchThenCompleteAsync(JsonRpcMessage message, McpRequestContext context, ChannelMessageSink related,
        CancellationToken cancellationToken)
    {
        try
        {
            return (await dispatcher.HandleAsync(message, context, cancellationToken))!;
        }
        finally
        {
            related.Complete();
        }
    }

    private async Task<McpSession?> FindSessionAsync(HttpContext http, ClientIdentity client)
    {
        var id = http.Request.Headers[McpProtocol.SessionIdHeader].ToString();
        if (id.Length == 0)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, GatewayErrorCodes.TransportError,
                "Bad Request: Mcp-Session-Id header is required (send initialize first).");
            return null;
        }

        // A session belongs to the client that opened it; to anyone else it does not exist.
        var session = sessions.Find(id);
        if (session is null || !session.Client.IsSameCaller(client))
        {
            await WriteErrorAsync(http, StatusCodes.Status404NotFound, GatewayErrorCodes.TransportError,
                "Session not found or expired: initialize a new session.");
            return null;
        }

        // Any supported session-era version is accepted (checked before), as the SDKs do: clients are known to
        // send an older version header than the one they negotiated.
        return session;
    }

    private async Task<ClientIdentity?> AuthenticateAsync(HttpContext http)
    {
        // The endpoint runs without the authentication middleware (it is short-circuited, see MapMcpEndpoint), so it
        // asks the caller authenticator itself: same keys, tokens and answers as the Gateway scheme, without a handler
        // instance and a request scope per call.
        var result = await callers.AuthenticateAsync(http);
        if (result.Succeeded && CallerIdentities.From(result.Principal) is { } client)
        {
            http.User = result.Principal;
            var missing = GatewayCallerAuthenticator.MissingScopes(result.Principal);
            if (!missing.Any())
            {
                return client;
            }

            await callers.Metadata.WriteInsufficientScopeAsync(http, missing);
            RecordRefusal(http, client, AuditStatus.Forbidden, GatewayErrorCodes.Forbidden, "insufficient_scope: the token lacks " + string.Join(' ', missing));
            return null;
        }

        var bearer = callers.IsBearer(http);
        var detail = result.Failure is null
            ? "Authentication required: send an OAuth access token or an API key in 'Authorization: Bearer', or an API key in 'X-Api-Key'."
            : bearer ? result.Failure.Message : "Invalid API key.";
        await callers.Metadata.WriteUnauthorizedAsync(http, detail, bearer && result.Failure is not null);
        RecordRefusal(http, null, AuditStatus.Unauthenticated, GatewayErrorCodes.Unauthenticated, detail);
        return null;
    }

    /// <summary>Audits a request refused at the edge; the body is not read yet, so the method comes from the Mcp-Method header when sent.</summary>
    private void RecordRefusal(HttpContext http, ClientIdentity? client, string status, int errorCode, string detail)
    {
        var method = http.Request.Headers[McpProtocol.MethodHeader].ToString();
        audit.RecordEdgeRefusal(
            client,
            method.Length > 0 ? method : "HTTP " + http.Request.Method,
            http.TraceIdentifier,
            http.Request.Headers[McpProtocol.SessionIdHeader].ToString() is { Length: > 0 } session ? session : null,
            status,
            errorCode,
            http.Response.ContentLength ?? 0,
            detail);
    }

    /// <summary>DNS-rebinding protection: refuses Host and Origin values outside the allow-lists (HTTP 403).</summary>
    private static async Task<bool> RefuseForeignAsync(HttpContext http, McpOptions settings)
    {
        if (OriginGuard.IsAllowed(http.Request, settings))
        {
            return false;
        }

        await WriteErrorAsync(http, StatusCodes.Status403Forbidden, GatewayErrorCodes.TransportError,
            "Forbidden: Host or Origin is not allowed (DNS rebinding protection).");
        return true;
    }

    private static async Task<bool> RefuseStatelessAsync(HttpContext http)
    {
        if (http.Request.Headers[McpProtocol.ProtocolVersionHeader] != McpProtocol.StatelessVersion)
        {
            return false;
        }

        http.Response.Headers.Allow = "POST";
        await WriteErrorAsync(http, StatusCodes.Status405MethodNotAllowed, GatewayErrorCodes.TransportError,
            "Method Not Allowed: protocol 2026-07-28 is stateless; only POST is served.");
        return true;
    }

    /// <summary><c>Mcp-Method</c> and <c>Mcp-Name</c> must agree with the body; stateless requests must send <c>Mcp-Method</c>.</summary>
    private static string? HeaderMismatch(IHeaderDictionary headers, JsonRpcMessage message, bool stateless)
    {
        var method = headers[McpProtocol.MethodHeader].ToString();
        if (method.Length == 0)
        {
            return stateless ? "Mcp-Method header is required with protocol 2026-07-28." : null;
        }

        if (!string.Equals(method, message.Method, StringComparison.Ordinal))
        {
            return $"Mcp-Method header '{method}' does not match the body's method '{message.Method}'.";
        }

        var name = headers[McpProtocol.NameHeader].ToString();
        var bodyName = message.Method switch
        {
            McpMethods.ToolsCall or McpMethods.PromptsGet => message.GetParamString("name"),
            McpMethods.ResourcesRead or McpMethods.ResourcesSubscribe or McpMethods.ResourcesUnsubscribe => message.GetParamString("uri"),
            _ => null,
        };
        if (bodyName is null)
        {
            return name.Length == 0 ? null : $"Mcp-Name header is not expected for '{message.Method}'.";
        }

        if (name.Length == 0)
        {
            return stateless ? $"Mcp-Name header is required for '{message.Method}'." : null;
        }

        return string.Equals(name, bodyName, StringComparison.Ordinal) ? null : $"Mcp-Name header '{name}' does not match the body's '{bodyName}'.";
    }

    /// <summary>Calls whose backend may talk back before answering (progress, logging, sampling, elicitation).</summary>
    private static bool MayStream(string? method) => method is McpMethods.ToolsCall or McpMethods.PromptsGet
        or McpMethods.ResourcesRead or McpMethods.Complete or McpMethods.SetLevel;

    /// <summary>Messages about a JSON-answered request can only travel on the session's GET stream.</summary>
    private static IMcpMessageSink NullSink(McpSession? session) => session is null ? DiscardSink.Instance : session.Outbound;

    /// <summary>Whether the media type (parameters such as <c>charset</c> ignored) is <c>application/json</c>.</summary>
    private static bool IsJsonContent(string? contentType) => MediaTypes.Is(contentType, MediaTypes.Json);

    /// <summary>
    /// Which answer formats the <c>Accept</c> header allows. Read as spans rather than through
    /// <c>MediaTypeHeaderValue</c>, which allocated a parsed object per listed type on every call; quality values are
    /// ignored, as before.
    /// </summary>
    private static Accepts Negotiate(Microsoft.Extensions.Primitives.StringValues accept)
    {
        var result = Accepts.None;
        foreach (var value in accept)
        {
            foreach (var range in (value ?? "").AsSpan().Split(','))
            {
                var type = MediaTypes.Of(value.AsSpan()[range]);
                if (type.Equals(MediaTypes.Json, StringComparison.OrdinalIgnoreCase)
                    || type.Equals("application/*", StringComparison.OrdinalIgnoreCase) || type.SequenceEqual("*/*"))
                {
                    result |= Accepts.Json;
                }
                else if (type.Equals(MediaTypes.EventStream, StringComparison.OrdinalIgnoreCase))
                {
                    result |= Accepts.EventStream;
                }
            }
        }

        return result;
    }

    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(PipeReader reader, int limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken);
            if (read.Buffer.Length > limit)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                return null;
            }

            if (read.IsCompleted)
            {
                var body = read.Buffer.ToArray();
                reader.AdvanceTo(read.Buffer.End);
                return body;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private static void StartEventStream(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = MediaTypes.EventStream;
        http.Response.Headers.CacheControl = "no-cache";
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    private static async ValueTask WriteEventAsync(PipeWriter writer, byte[] message, CancellationToken cancellationToken)
    {
        writer.Write(s_eventPrefix);
        writer.Write(message);
        writer.Write(s_eventSuffix);
        await writer.FlushAsync(cancellationToken);
    }

    private static async Task WriteJsonAsync(HttpContext http, int status, byte[] body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = MediaTypes.Json;
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body);
    }

    private static Task WriteErrorAsync(HttpContext http, int status, int code, string message, JsonElement id = default) =>
        WriteJsonAsync(http, status, JsonRpcWriter.Error(id, code, message));

    [Flags]
    private enum Accepts
    {
        None = 0,
        Json = 1,
        EventStream = 2,
    }

    private sealed class DiscardSink : IMcpMessageSink
    {
        public static readonly DiscardSink Instance = new();

        public ValueTask SendAsync(byte[] message, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
