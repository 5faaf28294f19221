using System.Runtime.InteropServices;
using System.Text.Json;
using Gateway.Proxy.Backends;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Mcp.Replication;

namespace Gateway.Proxy.Mcp.Dispatch;

/// <summary>
/// What a session's client sends that is not a request: <c>notifications/cancelled</c>, roots changes (passed on to
/// every backend session), and its answers to backend requests (relayed to the backend that asked).
/// </summary>
internal sealed class ClientSignals(ILogger<ClientSignals> logger, SessionRelay? relay = null)
{
    public async Task HandleNotificationAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken)
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
                        BackendFailureLog.BackendFailed(logger, connection.Backend, "roots/list_changed", ex.Message);
                    }
                }

                break;
        }
    }

    /// <summary>
    /// Relays the client's answer to the backend session that asked: here, or on the replica that raised the request
    /// (its id names it) when the answer landed on another one.
    /// </summary>
    public async Task HandleResponseAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken)
    {
        if (context.Session is not { } session)
        {
            return;
        }

        var id = message.Id.GetRawText();
        if (session.TryTakeServerRequest(id, out var connection, out var backendId))
        {
            try
            {
                await connection.RespondAsync(backendId, message.Root, cancellationToken);
            }
            catch (BackendException ex)
            {
                BackendFailureLog.BackendFailed(logger, connection.Backend, "response relay", ex.Message);
            }
        }
        else if (session.IsShared && relay is not null)
        {
            await relay.ForwardAnswerAsync(session.Id, id, JsonMarshal.GetRawUtf8Value(message.Root).ToArray());
        }
    }
}
