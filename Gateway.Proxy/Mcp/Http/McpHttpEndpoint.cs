using Gateway.Authentication;
using Gateway.Authentication.Upstream;
using Gateway.Contracts;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Mcp.Dispatch;
using Gateway.Proxy.Mcp.Edge;
using Gateway.Proxy.Mcp.Sessions;
using Gateway.Proxy.Pipeline;
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
    McpEdge edge,
    SessionHandshake handshake,
    HttpSessions sessions,
    HttpCallers callers,
    BatchRequests batches,
    EventStreams streams,
    UpstreamCredentials credentials,
    IOptionsMonitor<McpOptions> options,
    TimeProvider time)
{
    public async Task PostAsync(HttpContext http)
    {
        var settings = options.CurrentValue;
        if (await RefuseForeignAsync(http, settings) || await callers.AuthenticateAsync(http) is not { } client)
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
            await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status413PayloadTooLarge, GatewayErrorCodes.RequestTooLarge,
                $"Request body exceeds {settings.MaxRequestBytes} bytes.");
            return;
        }

        if (!RequestBody.IsJson(request.ContentType))
        {
            await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status415UnsupportedMediaType, GatewayErrorCodes.TransportError,
                "Content-Type must be application/json.");
            return;
        }

        var accept = AcceptHeader.Negotiate(request.Headers.Accept);
        if (accept == AnswerFormats.None)
        {
            await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status406NotAcceptable, GatewayErrorCodes.TransportError,
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
            body = await RequestBody.ReadAsync(request.BodyReader, settings.MaxRequestBytes, cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            // A client that stops sending gets 408; one that went away gets nothing.
            if (!http.RequestAborted.IsCancellationRequested)
            {
                await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status408RequestTimeout, GatewayErrorCodes.TransportError,
                    $"Request body not received within {settings.RequestTimeout.TotalSeconds:0.###} s.");
            }

            return;
        }

        if (body is null)
        {
            await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status413PayloadTooLarge, GatewayErrorCodes.RequestTooLarge,
                $"Request body exceeds {settings.MaxRequestBytes} bytes.");
            return;
        }

        if (RequestBody.IsBatch(body.Value.Span))
        {
            await batches.HandleAsync(http, body.Value, client, accept, cancellation.Token);
            return;
        }

        using var message = edge.Admit(body.Value, client, HttpSessions.Named(http), out var refusal);
        if (message is null)
        {
            await HttpAnswers.WriteJsonAsync(http, refusal.HttpStatus, refusal.Answer);
            return;
        }

        if (await ProtocolHeaders.CheckAsync(http, message) is not { } stateless)
        {
            return;
        }

        McpSession? session = null;
        if (!stateless)
        {
            if (message.Method == McpMethods.Initialize)
            {
                await InitializeAsync(http, message, client, settings);
                return;
            }

            if (await sessions.FindAsync(http, client) is not { } found)
            {
                return;
            }

            session = found;
        }

        await AnswerAsync(http, message, client, session, accept, cancellation, settings);
    }

    public async Task GetAsync(HttpContext http)
    {
        if (await RefuseForeignAsync(http, options.CurrentValue) || await ProtocolHeaders.RefuseStatelessAsync(http)
            || await callers.AuthenticateAsync(http) is not { } client)
        {
            return;
        }

        if (!AcceptHeader.Negotiate(http.Request.Headers.Accept).HasFlag(AnswerFormats.EventStream))
        {
            await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status406NotAcceptable, GatewayErrorCodes.TransportError, "Accept must include text/event-stream.");
            return;
        }

        if (await sessions.FindAsync(http, client) is not { } session)
        {
            return;
        }

        await EventStreams.ServeSessionAsync(http, session);
    }

    public async Task DeleteAsync(HttpContext http)
    {
        if (await RefuseForeignAsync(http, options.CurrentValue) || await ProtocolHeaders.RefuseStatelessAsync(http)
            || await callers.AuthenticateAsync(http) is not { } client)
        {
            return;
        }

        if (await sessions.FindAsync(http, client) is not { } session)
        {
            return;
        }

        await sessions.EndAsync(session);
        http.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task AnswerAsync(HttpContext http, JsonRpcMessage message, ClientIdentity client, McpSession? session,
        AnswerFormats accept, CancellationTokenSource cancellation, McpOptions settings)
    {
        try
        {
            if (!message.IsRequest)
            {
                await dispatcher.HandleAsync(message, new McpRequestContext { Client = client, Session = session, Sink = NullSink(session) },
                    cancellation.Token);
                http.Response.StatusCode = StatusCodes.Status202Accepted;
                return;
            }

            if (accept.HasFlag(AnswerFormats.EventStream) && (MayStream(message.Method) || !accept.HasFlag(AnswerFormats.Json)))
            {
                await streams.AnswerAsync(http, message, client, session, cancellation.Token);
            }
            else
            {
                var context = new McpRequestContext { Client = client, Session = session, Sink = NullSink(session) };
                var response = await dispatcher.HandleAsync(message, context, cancellation.Token);
                await HttpAnswers.WriteJsonAsync(http, StatusCodes.Status200OK, response!);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            if (!http.Response.HasStarted)
            {
                await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status504GatewayTimeout, GatewayErrorCodes.TransportError,
                    $"Request not answered within {settings.RequestTimeout.TotalSeconds:0.###} s.", message.Id);
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to answer.
        }
    }

    private async Task InitializeAsync(HttpContext http, JsonRpcMessage message, ClientIdentity client, McpOptions settings)
    {
        if (!message.IsRequest)
        {
            await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status400BadRequest, GatewayErrorCodes.InvalidRequest, "initialize must be a request.");
            return;
        }

        if (await handshake.TryOpenAsync(message, client) is not { } session)
        {
            await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable, GatewayErrorCodes.TransportError,
                $"Too many MCP sessions on this gateway (limit {settings.MaxSessions}): end unused sessions with DELETE, or retry later.",
                message.Id);
            return;
        }

        http.Response.Headers[McpProtocol.SessionIdHeader] = session.Id;
        await HttpAnswers.WriteJsonAsync(http, StatusCodes.Status200OK, SessionHandshake.Result(message, session));
    }

    /// <summary>DNS-rebinding protection: refuses Host and Origin values outside the allow-lists (HTTP 403).</summary>
    private static async Task<bool> RefuseForeignAsync(HttpContext http, McpOptions settings)
    {
        if (OriginGuard.IsAllowed(http.Request, settings))
        {
            return false;
        }

        await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status403Forbidden, GatewayErrorCodes.TransportError,
            "Forbidden: Host or Origin is not allowed (DNS rebinding protection).");
        return true;
    }

    /// <summary>Calls whose backend may talk back before answering (progress, logging, sampling, elicitation).</summary>
    private static bool MayStream(string? method) => method is McpMethods.ToolsCall or McpMethods.PromptsGet
        or McpMethods.ResourcesRead or McpMethods.Complete or McpMethods.SetLevel;

    /// <summary>Messages about a JSON-answered request can only travel on the session's GET stream.</summary>
    private static IMcpMessageSink NullSink(McpSession? session) => session is null ? DiscardSink.Instance : session.Outbound;
}
