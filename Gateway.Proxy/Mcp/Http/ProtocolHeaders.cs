using System.Text.Json;
using Gateway.Contracts;
using Gateway.Proxy.JsonRpc;

namespace Gateway.Proxy.Mcp.Http;

/// <summary>
/// The protocol headers of a request: which revision it speaks (<c>MCP-Protocol-Version</c> and the 2026-07-28
/// <c>_meta</c> version), and whether <c>Mcp-Method</c>/<c>Mcp-Name</c> agree with the body. Each refusal is 400.
/// </summary>
internal static class ProtocolHeaders
{
    /// <summary>Whether the message is a stateless (2026-07-28) request; null when refused (the answer is written).</summary>
    public static async Task<bool?> CheckAsync(HttpContext http, JsonRpcMessage message)
    {
        var request = http.Request;
        var headerVersion = request.Headers[McpProtocol.ProtocolVersionHeader].ToString();
        if (headerVersion.Length > 0 && !McpProtocol.IsSupported(headerVersion))
        {
            await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status400BadRequest, GatewayErrorCodes.TransportError,
                $"Unsupported MCP-Protocol-Version '{headerVersion}'; supported: {string.Join(", ", McpProtocol.AllVersions)}.");
            return null;
        }

        var metaVersion = message.GetMeta(McpProtocol.MetaProtocolVersion).ValueKind == JsonValueKind.String
            ? message.GetMeta(McpProtocol.MetaProtocolVersion).GetString()
            : null;
        var stateless = headerVersion == McpProtocol.StatelessVersion || metaVersion == McpProtocol.StatelessVersion;
        if (HeaderMismatch(request.Headers, message, stateless) is { } mismatch)
        {
            await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status400BadRequest, GatewayErrorCodes.HeaderMismatch, mismatch);
            return null;
        }

        if (stateless && (metaVersion is not null && metaVersion != McpProtocol.StatelessVersion
            || headerVersion.Length > 0 && headerVersion != McpProtocol.StatelessVersion))
        {
            await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status400BadRequest, GatewayErrorCodes.TransportError,
                "MCP-Protocol-Version and _meta protocol version disagree.");
            return null;
        }

        return stateless;
    }

    /// <summary>GET and DELETE belong to sessions: a 2026-07-28 client gets 405.</summary>
    public static async Task<bool> RefuseStatelessAsync(HttpContext http)
    {
        if (http.Request.Headers[McpProtocol.ProtocolVersionHeader] != McpProtocol.StatelessVersion)
        {
            return false;
        }

        http.Response.Headers.Allow = "POST";
        await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status405MethodNotAllowed, GatewayErrorCodes.TransportError,
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
}
