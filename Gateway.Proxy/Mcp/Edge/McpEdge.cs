using Gateway.Contracts;
using Gateway.Proxy.Audit;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Pipeline;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Mcp.Edge;

/// <summary>
/// The one door every client message of the MCP front end (HTTP body, batch element, stdio line) comes through.
/// Whatever the gateway could not read, forward or record (broken JSON or Unicode, an id or name the audit log
/// cannot hold, over-limit arguments, a malformed <c>_meta</c>) is refused here, before any backend is contacted,
/// with the JSON-RPC error the specification names, and the refusal is audited once. Past this door, nothing the
/// client sent can fail a backend call or its audit event.
/// </summary>
internal sealed class McpEdge(AuditRecorder audit, IOptionsMonitor<EdgeOptions> options)
{
    /// <summary>The method recorded for a message whose own method could not be read.</summary>
    public const string UnreadableMethod = "(invalid)";

    /// <summary>
    /// The parsed message, or null with <paramref name="refusal"/> to send back (already audited). Notifications and
    /// responses are only parsed: nothing is answered to them.
    /// </summary>
    /// <param name="client">The authenticated caller; null when there is none (stdio without a key).</param>
    /// <param name="sessionId">The session the transport says the message belongs to, for the audit event.</param>
    public JsonRpcMessage? Admit(ReadOnlyMemory<byte> utf8, ClientIdentity? client, string? sessionId, out EdgeRefusal refusal)
    {
        var message = JsonRpcMessage.TryParse(utf8, out var error);
        if (message is null)
        {
            refusal = Refuse(client, sessionId, UnreadableMethod, null, error, default);
            return null;
        }

        if (message.IsRequest && RequestChecks.Check(message, options.CurrentValue) is { } invalid)
        {
            refusal = Refuse(client, sessionId, message.Method!, message.IdText, invalid, message.Id);
            message.Dispose();
            return null;
        }

        refusal = default;
        return message;
    }

    /// <summary>Audits a refusal the transport answered itself about a body it read (a batch it does not take, ...).</summary>
    public void RecordRefusal(ClientIdentity? client, string? sessionId, int errorCode, string detail, long responseBytes) =>
        audit.RecordEdgeRefusal(client, UnreadableMethod, null, sessionId, AuditStatus.InvalidRequest, errorCode, responseBytes, detail);

    private EdgeRefusal Refuse(ClientIdentity? client, string? sessionId, string method, string? requestId, JsonRpcError error,
        System.Text.Json.JsonElement id)
    {
        var answer = JsonRpcWriter.Error(id, error.Code, error.Message);
        audit.RecordEdgeRefusal(client, method, requestId, sessionId, AuditStatus.InvalidRequest, error.Code, answer.Length, error.Message);
        // An unknown method or invalid params is an answer to a well-formed request; the rest are malformed requests.
        var status = error.Code is GatewayErrorCodes.MethodNotFound or GatewayErrorCodes.InvalidParams && id.ValueKind != default
            ? StatusCodes.Status200OK
            : StatusCodes.Status400BadRequest;
        return new EdgeRefusal(answer, status);
    }
}

/// <summary>An answer the edge gave instead of admitting a message.</summary>
/// <param name="Answer">The JSON-RPC error response, with the request's id when it had a usable one.</param>
/// <param name="HttpStatus">200 for an answer to a well-formed request (-32601, -32602), 400 for a malformed one.</param>
internal readonly record struct EdgeRefusal(byte[] Answer, int HttpStatus);
