using System.Threading.Channels;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Mcp.Dispatch;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Mcp.Http;

/// <summary>The two SSE streams of <c>/mcp</c>: a POST's answer, and a session's GET stream.</summary>
internal sealed class EventStreams(McpDispatcher dispatcher)
{
    /// <summary>
    /// Answers as an SSE stream so the backend's progress, logging and requests about this call reach the client
    /// before the response, which is the last event.
    /// </summary>
    public async Task AnswerAsync(HttpContext http, JsonRpcMessage message, ClientIdentity client, McpSession? session,
        CancellationToken cancellationToken)
    {
        var related = new ChannelMessageSink(Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true }));
        var context = new McpRequestContext { Client = client, Session = session, Sink = related };
        var answer = DispatchThenCompleteAsync(message, context, related, cancellationToken);
        HttpAnswers.StartEventStream(http);
        await foreach (var item in related.Reader.ReadAllAsync(cancellationToken))
        {
            await HttpAnswers.WriteEventAsync(http.Response.BodyWriter, item, cancellationToken);
        }

        var response = await answer;
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
}
