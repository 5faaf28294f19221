using System.Runtime.InteropServices;
using Gateway.Contracts;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Backends;
using Gateway.Proxy.JsonRpc;

namespace Gateway.Proxy.Mcp.FanOut;

/// <summary>
/// <c>logging/setLevel</c>: remembered on the session (for backend sessions opened later) and sent to every backend
/// session now; a backend that fails it is logged, not reported to the client.
/// </summary>
internal sealed class LogLevelFanOut(BackendConnections connections, ILogger<LogLevelFanOut> logger)
{
    public async ValueTask<byte[]> SetLevelAsync(JsonRpcMessage message, McpRequestContext context, CancellationToken cancellationToken)
    {
        if (message.GetParamString("level") is not { } level)
        {
            return JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidParams, "Invalid params: \"level\" is required.");
        }

        if (context.Session is { } session)
        {
            session.LogLevel = level;
            var parameters = JsonMarshal.GetRawUtf8Value(message.Params).ToArray();
            var backends = connections.All();
            await Task.WhenAll(backends.Select(backend => SetBackendLevelAsync(session, backend, parameters, cancellationToken)));
        }

        return JsonRpcWriter.Response(message.Id, "{}"u8, isError: false);
    }

    private async Task SetBackendLevelAsync(McpSession session, BackendOptions backend, byte[] parameters, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(backend.Timeout);
        try
        {
            using var response = await connections.For(session, backend).RequestAsync(McpMethods.SetLevel, parameters, session.DefaultTarget, timeout.Token);
        }
        catch (Exception ex) when (ex is BackendException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            BackendFailureLog.BackendFailed(logger, backend.Name, "logging/setLevel", ex.Message);
        }
    }
}
