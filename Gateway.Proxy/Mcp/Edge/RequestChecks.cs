using System.Collections.Frozen;
using System.Runtime.InteropServices;
using System.Text.Json;
using Gateway.Contracts;
using Gateway.Contracts.Messages;
using Gateway.Proxy.JsonRpc;

namespace Gateway.Proxy.Mcp.Edge;

/// <summary>
/// What a request must satisfy before anything acts on it: an id within its limit (the audit keeps a long one
/// truncated with its hash), a method the audit log can hold and the gateway serves, and for routed calls a
/// well-formed name or URI the audit can hold, arguments and <c>_meta</c> within the limits. Pure: the first problem
/// found, as the JSON-RPC error to answer with, or null.
/// </summary>
internal static class RequestChecks
{
    /// <summary>Every request method the dispatcher answers; another gets -32601 here, where it is audited.</summary>
    private static readonly FrozenSet<string> Served = FrozenSet.Create(StringComparer.Ordinal,
        McpMethods.Ping, McpMethods.Discover, McpMethods.Initialize, McpMethods.ToolsList, McpMethods.PromptsList,
        McpMethods.ResourcesList, McpMethods.ResourceTemplatesList, McpMethods.ToolsCall, McpMethods.PromptsGet,
        McpMethods.ResourcesRead, McpMethods.ResourcesSubscribe, McpMethods.ResourcesUnsubscribe, McpMethods.Complete,
        McpMethods.SetLevel);

    public static JsonRpcError? Check(JsonRpcMessage request, EdgeOptions limits)
    {
        if (!Fits(request.Id, limits.MaxIdLength))
        {
            return new JsonRpcError(GatewayErrorCodes.InvalidRequest, $"Invalid Request: \"id\" is longer than {limits.MaxIdLength} characters.");
        }

        var method = request.Method!;
        if (method.Length > AuditLimits.MaxNameLength)
        {
            return new JsonRpcError(GatewayErrorCodes.InvalidRequest,
                $"Invalid Request: \"method\" is longer than {AuditLimits.MaxNameLength} characters.");
        }

        if (!Served.Contains(method))
        {
            return new JsonRpcError(GatewayErrorCodes.MethodNotFound, "Method not found.");
        }

        var parameters = request.Params;
        if (parameters.ValueKind != JsonValueKind.Object)
        {
            return Routed(method) ? Invalid(method is McpMethods.Complete ? "\"ref\" is required" : NameProperty(method) + " is required") : null;
        }

        return CheckMeta(parameters, limits) ?? method switch
        {
            McpMethods.ToolsCall or McpMethods.PromptsGet => CheckTarget(parameters, "name", AuditLimits.MaxTargetLength)
                ?? CheckArguments(parameters, limits),
            McpMethods.ResourcesRead or McpMethods.ResourcesSubscribe or McpMethods.ResourcesUnsubscribe =>
                CheckTarget(parameters, "uri", AuditLimits.MaxTargetLength),
            McpMethods.Complete => CheckReference(parameters),
            _ => null,
        };
    }

    private static bool Routed(string method) => method is McpMethods.ToolsCall or McpMethods.PromptsGet or McpMethods.ResourcesRead
        or McpMethods.ResourcesSubscribe or McpMethods.ResourcesUnsubscribe or McpMethods.Complete;

    private static string NameProperty(string method) => method is McpMethods.ToolsCall or McpMethods.PromptsGet ? "\"name\"" : "\"uri\"";

    /// <summary><c>_meta</c> is an object within its limit; its progress token, when sent, a string or number the audit can hold.</summary>
    private static JsonRpcError? CheckMeta(JsonElement parameters, EdgeOptions limits)
    {
        if (!parameters.TryGetProperty("_meta"u8, out var meta))
        {
            return null;
        }

        if (meta.ValueKind != JsonValueKind.Object)
        {
            return Invalid("\"_meta\" must be an object");
        }

        if (JsonMarshal.GetRawUtf8Value(meta).Length > limits.MaxMetaBytes)
        {
            return Invalid($"\"_meta\" is larger than {limits.MaxMetaBytes} bytes");
        }

        if (meta.TryGetProperty("progressToken"u8, out var token)
            && (token.ValueKind is not (JsonValueKind.String or JsonValueKind.Number) || !Fits(token, limits.MaxIdLength)))
        {
            return Invalid($"\"_meta.progressToken\" must be a string or a number of at most {limits.MaxIdLength} characters");
        }

        return null;
    }

    /// <summary>The tool or prompt name, or the resource URI: a non-empty string within the audit's limit, without control characters.</summary>
    private static JsonRpcError? CheckTarget(JsonElement owner, string property, int maxLength)
    {
        if (!owner.TryGetProperty(property, out var value) || value.ValueKind != JsonValueKind.String || value.ValueEquals(""u8))
        {
            return Invalid($"\"{property}\" is required and must be a string");
        }

        // Read from the raw token on every call's path, without decoding: UTF-8 never takes fewer bytes than UTF-16
        // takes characters, and JSON can only carry a control character (other than DEL) as an escape.
        var raw = JsonMarshal.GetRawUtf8Value(value)[1..^1];
        var escaped = raw.Contains((byte)'\\');
        if (raw.Length > maxLength && value.GetString()!.Length > maxLength)
        {
            return Invalid($"\"{property}\" is longer than {maxLength} characters");
        }

        return raw.Contains((byte)0x7f) || escaped && IsControl(value.GetString())
            ? Invalid($"\"{property}\" contains control characters")
            : null;
    }

    private static bool IsControl(ReadOnlySpan<char> text) => text.IndexOfAnyInRange('\0', '\u001f') >= 0 || text.Contains('\u007f');

    private static JsonRpcError? CheckArguments(JsonElement parameters, EdgeOptions limits)
    {
        if (!parameters.TryGetProperty("arguments"u8, out var arguments))
        {
            return null;
        }

        if (arguments.ValueKind != JsonValueKind.Object)
        {
            return Invalid("\"arguments\" must be an object");
        }

        var raw = JsonMarshal.GetRawUtf8Value(arguments);
        if (raw.Length > limits.MaxArgumentsBytes)
        {
            return Invalid($"\"arguments\" is larger than {limits.MaxArgumentsBytes} bytes");
        }

        return DepthExceeds(raw, limits.MaxArgumentsDepth) ? Invalid($"\"arguments\" nests deeper than {limits.MaxArgumentsDepth} levels") : null;
    }

    private static JsonRpcError? CheckReference(JsonElement parameters)
    {
        if (!parameters.TryGetProperty("ref"u8, out var reference) || reference.ValueKind != JsonValueKind.Object
            || !reference.TryGetProperty("type"u8, out var type) || type.ValueKind != JsonValueKind.String)
        {
            return Invalid("\"ref\" is required and must be an object with a \"type\"");
        }

        if (type.ValueEquals("ref/prompt"u8))
        {
            return CheckTarget(reference, "name", AuditLimits.MaxTargetLength);
        }

        return type.ValueEquals("ref/resource"u8)
            ? CheckTarget(reference, "uri", AuditLimits.MaxTargetLength)
            : Invalid("unknown \"ref\" type");
    }

    /// <summary>Whether a string or number is at most <paramref name="maxLength"/> characters (a string by its decoded length).</summary>
    private static bool Fits(JsonElement value, int maxLength)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (value.ValueKind != JsonValueKind.String)
        {
            return raw.Length <= maxLength;
        }

        // The raw token (quotes and escapes included) is never shorter than the text: decode only when it might not fit.
        return raw.Length - 2 <= maxLength || value.GetString()!.Length <= maxLength;
    }

    /// <summary>Whether JSON nests deeper than <paramref name="maxDepth"/>; each level costs at least one byte, so short text never does.</summary>
    private static bool DepthExceeds(ReadOnlySpan<byte> json, int maxDepth)
    {
        if (json.Length <= maxDepth)
        {
            return false;
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = JsonRpcMessage.MaxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= maxDepth)
            {
                return true;
            }
        }

        return false;
    }

    private static JsonRpcError Invalid(string problem) => new(GatewayErrorCodes.InvalidParams, "Invalid params: " + problem + ".");
}
