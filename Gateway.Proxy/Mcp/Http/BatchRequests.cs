using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Gateway.Contracts;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Mcp.Dispatch;
using Gateway.Proxy.Mcp.Edge;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Mcp.Http;

/// <summary>
/// A JSON-RPC batch. Protocol 2025-03-26 allowed them ("an array batching one or more requests and/or
/// notifications", or responses); 2025-06-18 removed batching, so later sessions (and stateless requests) get
/// 400 with -32600. Each element is answered as if sent alone, except that <c>initialize</c> may not be batched;
/// the answers come back as one JSON array (or as SSE events for a client that accepts only those), and a batch
/// of notifications and responses only gets 202.
/// </summary>
internal sealed class BatchRequests(McpDispatcher dispatcher, McpEdge edge, HttpSessions sessions)
{
    public async Task HandleAsync(HttpContext http, ReadOnlyMemory<byte> body, ClientIdentity client, AnswerFormats accept,
        CancellationToken cancellationToken)
    {
        var headerVersion = http.Request.Headers[McpProtocol.ProtocolVersionHeader].ToString();
        if (headerVersion.Length > 0 && headerVersion != McpProtocol.BatchVersion)
        {
            await RefuseAsync(http, client, GatewayErrorCodes.InvalidRequest,
                $"Invalid Request: JSON-RPC batches are not supported in protocol {headerVersion} (only {McpProtocol.BatchVersion}).");
            return;
        }

        if (await sessions.FindAsync(http, client) is not { } session)
        {
            return;
        }

        if (session.ProtocolVersion != McpProtocol.BatchVersion)
        {
            await RefuseAsync(http, client, GatewayErrorCodes.InvalidRequest,
                $"Invalid Request: JSON-RPC batches are not supported in protocol {session.ProtocolVersion} (only {McpProtocol.BatchVersion}).");
            return;
        }

        List<byte[]> answers;
        try
        {
            using var batch = JsonDocument.Parse(body);
            if (batch.RootElement.GetArrayLength() == 0)
            {
                await RefuseAsync(http, client, GatewayErrorCodes.InvalidRequest, "Invalid Request: empty batch.");
                return;
            }

            var context = new McpRequestContext { Client = client, Session = session, Sink = session.Outbound };
            var pending = batch.RootElement.EnumerateArray()
                .Select(element => AnswerElementAsync(JsonMarshal.GetRawUtf8Value(element).ToArray(), context, cancellationToken))
                .ToArray();
            answers = [.. (await Task.WhenAll(pending)).OfType<byte[]>()];
        }
        catch (JsonException)
        {
            await RefuseAsync(http, client, GatewayErrorCodes.ParseError, "Parse error: the body is not valid JSON.");
            return;
        }

        if (answers.Count == 0)
        {
            http.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        if (!accept.HasFlag(AnswerFormats.Json))
        {
            HttpAnswers.StartEventStream(http);
            foreach (var answer in answers)
            {
                await HttpAnswers.WriteEventAsync(http.Response.BodyWriter, answer, cancellationToken);
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
        await HttpAnswers.WriteJsonAsync(http, StatusCodes.Status200OK, array.WrittenSpan.ToArray());
    }

    /// <summary>One batch element's answer: the response to a request, an error for an invalid one, null otherwise.</summary>
    private async Task<byte[]?> AnswerElementAsync(byte[] element, McpRequestContext context, CancellationToken cancellationToken)
    {
        using var message = edge.Admit(element, context.Client, context.Session?.Id, out var refusal);
        if (message is null)
        {
            return refusal.Answer;
        }

        if (message.Method == McpMethods.Initialize)
        {
            return message.IsRequest
                ? JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidRequest, "Invalid Request: initialize must not be part of a JSON-RPC batch.")
                : null;
        }

        return await dispatcher.HandleAsync(message, context, cancellationToken);
    }

    /// <summary>A batch refused whole (400): audited like any message refused at the edge.</summary>
    private async Task RefuseAsync(HttpContext http, ClientIdentity client, int code, string message)
    {
        await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status400BadRequest, code, message);
        edge.RecordRefusal(client, HttpSessions.Named(http), code, message, http.Response.ContentLength ?? 0);
    }
}
