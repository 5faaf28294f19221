using System.Runtime.InteropServices;
using System.Text.Json;
using Gateway.Contracts;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Mcp.Routing;

/// <summary>A backend's answer (or failure) as the <see cref="BackendResult"/> the pipeline relays and audits.</summary>
internal static class BackendResults
{
    /// <summary>A backend's JSON-RPC response as a result to relay; one with neither result nor error is not MCP.</summary>
    public static BackendResult FromResponse(JsonElement response, string backend)
    {
        if (response.TryGetProperty("result", out var result))
        {
            return new BackendResult(JsonMarshal.GetRawUtf8Value(result).ToArray(), IsError: false, ErrorCode: null, BackendFailed: false);
        }

        if (!response.TryGetProperty("error", out var error))
        {
            return Failure(GatewayErrorCodes.BackendUnavailable, $"Backend '{backend}' answered with neither a result nor an error.", "protocol");
        }

        int? code = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code", out var c) && c.TryGetInt32(out var value) ? value : null;
        return new BackendResult(JsonMarshal.GetRawUtf8Value(error).ToArray(), IsError: true, code, BackendFailed: false);
    }

    /// <summary>The backend itself failed: counts against its breaker.</summary>
    public static BackendResult Failure(int code, string text, string kind) =>
        new(JsonRpcWriter.ErrorObject(code, text), IsError: true, code, BackendFailed: true, kind, text);

    /// <summary>A tool result with <c>isError</c> and one text item.</summary>
    public static byte[] ToolError(string text)
    {
        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        writer.WriteStartArray("content"u8);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text"u8);
        writer.WriteString("text"u8, text);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteBoolean("isError"u8, true);
        writer.WriteEndObject();

        return scratch.ToArray();
    }
}
