using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Mcp.Dispatch;
using Gateway.Proxy.Mcp.Subscriptions;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Mcp.Http;

/// <summary>The SSE streams of <c>/mcp</c>: a POST's answer, a session's GET stream, a 2026-07-28 <c>subscriptions/listen</c>.</summary>
internal sealed class EventStreams(McpDispatcher dispatcher, SubscriptionHub subscriptions, IHostApplicationLifetime lifetime)
{
    /// <summary>
    /// Answers as an SSE stream so the backend's progress, logging and requests about this call reach the client
    /// before the response, which is the last event.
    /// </summary>
    public async Task AnswerAsync(HttpContext http, JsonRpcMessage message, ClientIdentity client, McpSession? session,
        CancellationToken cancellationToken)
    {
        HttpAnswers.StartEventStream(http);
        var related = new RelatedEvents(http.Response.BodyWriter, cancellationToken);
        var context = new McpRequestContext { Client = client, Session = session, Sink = related };
        byte[] response;
        try
        {
            response = (await dispatcher.HandleAsync(message, context, cancellationToken))!;
        }
        finally
        {
            await related.CompleteAsync();
        }

        await HttpAnswers.WriteEventAsync(http.Response.BodyWriter, response, cancellationToken);
    }

    /// <summary>The session's messages not tied to a request in flight, until the client goes away.</summary>
    public static async Task ServeSessionAsync(HttpContext http, McpSession session)
    {
        HttpAnswers.StartEventStream(http);
        // Headers go out once messages raised for the session on other replicas reach this stream.
        await session.StreamOpenedAsync();
        try
        {
            await http.Response.Body.FlushAsync(http.RequestAborted);
            await foreach (var message in session.Outbound.Reader.ReadAllAsync(http.RequestAborted))
            {
                await HttpAnswers.WriteEventAsync(http.Response.BodyWriter, message, http.RequestAborted);
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

    /// <summary>
    /// A <c>subscriptions/listen</c>: the acknowledgement first, then the notifications asked for, until the client
    /// closes the stream; a gateway shutting down ends it with the listen request's result.
    /// </summary>
    public async Task ListenAsync(HttpContext http, JsonRpcMessage listen, ClientIdentity client)
    {
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var subscription = await subscriptions.OpenAsync(listen, client, ended.Token);
        try
        {
            HttpAnswers.StartEventStream(http);
            await HttpAnswers.WriteEventAsync(http.Response.BodyWriter, subscription.Acknowledgement(), ended.Token);
            await foreach (var message in subscription.Reader.ReadAllAsync(ended.Token))
            {
                await HttpAnswers.WriteEventAsync(http.Response.BodyWriter, message, ended.Token);
            }
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            if (!http.RequestAborted.IsCancellationRequested)
            {
                await HttpAnswers.WriteEventAsync(http.Response.BodyWriter, subscription.Completion(listen.Id), http.RequestAborted);
            }
        }
        finally
        {
            await subscriptions.CloseAsync(subscription);
        }
    }

}
