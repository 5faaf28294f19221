using System.Text.Json;
using Gateway.Proxy.Backends;
using Gateway.Proxy.JsonRpc;

namespace Gateway.Proxy.Mcp.Dispatch;

/// <summary>
/// What a session's client sends that is not a request: <c>notifications/cancelled</c>, roots changes (passed on to
/// every backend session), and its answers to backend requests (relayed to the backend that asked).
/// </summary>
internal sealed class ClientSignals(ILogger<ClientSignals> logger)
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

    public async Task HandleResponseAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken)
    {
        if (context.Session is { } session && session.TryTakeServerRequest(message.Id.GetRawText(), out var connection, out var backendId))
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
    }
}
