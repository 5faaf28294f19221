using System.Text.Json;
using Gateway.Contracts;

namespace Gateway.Proxy.JsonRpc;

internal enum JsonRpcKind
{
    Request,
    Notification,
    Response,
}

/// <summary>
/// One parsed JSON-RPC 2.0 message. Owns the <see cref="JsonDocument"/> it reads from, so the original bytes of
/// params, results and ids are relayed as they came (unknown fields kept).
/// </summary>
internal sealed class JsonRpcMessage : IDisposable
{
    /// <summary>Deepest nesting of a whole message; deeper is a parse error (-32700).</summary>
    public const int MaxDepth = 128;

    private readonly JsonDocument _document;
    private readonly ReadOnlyMemory<byte> _utf8;

    private JsonRpcMessage(JsonDocument document, ReadOnlyMemory<byte> utf8, JsonRpcKind kind, JsonElement id, string? method, JsonElement parameters)
    {
        _document = document;
        _utf8 = utf8;
        Kind = kind;
        Id = id;
        Method = method;
        Params = parameters;
    }

    public JsonRpcKind Kind { get; }

    /// <summary>The id (string or number); <see cref="JsonValueKind.Undefined"/> for notifications.</summary>
    public JsonElement Id { get; }

    public string? Method { get; }

    /// <summary>The params object; <see cref="JsonValueKind.Undefined"/> when absent.</summary>
    public JsonElement Params { get; }

    public JsonElement Root => _document.RootElement;

    public bool IsRequest => Kind == JsonRpcKind.Request;

    /// <summary>The id as text, for audit and logs.</summary>
    public string? IdText => Id.ValueKind switch
    {
        JsonValueKind.String => Id.GetString(),
        JsonValueKind.Number => Id.GetRawText(),
        _ => null,
    };

    /// <summary>A string property of params, or null.</summary>
    public string? GetParamString(string name) =>
        Params.ValueKind == JsonValueKind.Object && Params.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>A property of <c>params._meta</c>, or Undefined.</summary>
    public JsonElement GetMeta(string name) =>
        Params.ValueKind == JsonValueKind.Object
        && Params.TryGetProperty("_meta", out var meta)
        && meta.ValueKind == JsonValueKind.Object
        && meta.TryGetProperty(name, out var value)
            ? value
            : default;

    /// <summary>The bytes of <paramref name="element"/>, an element of this message, as the client wrote them.</summary>
    public ReadOnlyMemory<byte> Raw(JsonElement element) => RawJson.Of(_utf8, element);

    public void Dispose() => _document.Dispose();

    /// <summary>
    /// Parses and validates one message. On failure returns null and the JSON-RPC error to answer with. Text that is
    /// JSON but not valid Unicode (invalid UTF-8, a lone surrogate escape) is a parse error too: nothing could read it.
    /// </summary>
    /// <summary>
    /// A repeated property is refused: the gateway and a backend could each read a different one of them, so the
    /// gateway would authorise one tool while the backend runs another.
    /// </summary>
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    public static JsonRpcMessage? TryParse(ReadOnlyMemory<byte> utf8, out JsonRpcError error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, ParseOptions);
        }
        catch (JsonException)
        {
            error = new JsonRpcError(GatewayErrorCodes.ParseError,
                $"Parse error: the body is not valid JSON, nests deeper than {MaxDepth} levels, or repeats a property name.");
            return null;
        }

        if (!JsonUnicode.IsValid(utf8.Span))
        {
            document.Dispose();
            error = new JsonRpcError(GatewayErrorCodes.ParseError, "Parse error: the body is not valid Unicode (invalid UTF-8 or a lone surrogate escape).");
            return null;
        }

        var message = Validate(document, utf8, out error);
        if (message is null)
        {
            document.Dispose();
        }

        return message;
    }

    private static JsonRpcMessage? Validate(JsonDocument document, ReadOnlyMemory<byte> utf8, out JsonRpcError error)
    {
        var root = document.RootElement;
        error = default;
        if (root.ValueKind == JsonValueKind.Array)
        {
            error = new JsonRpcError(GatewayErrorCodes.InvalidRequest, "Invalid Request: JSON-RPC batches are not supported; send one message per request.");
            return null;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            error = new JsonRpcError(GatewayErrorCodes.InvalidRequest, "Invalid Request: a JSON-RPC message is an object.");
            return null;
        }

        if (!root.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || !version.ValueEquals("2.0"))
        {
            error = new JsonRpcError(GatewayErrorCodes.InvalidRequest, "Invalid Request: \"jsonrpc\" must be \"2.0\".");
            return null;
        }

        var hasId = root.TryGetProperty("id", out var id);
        if (hasId && id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
        {
            error = new JsonRpcError(GatewayErrorCodes.InvalidRequest, "Invalid Request: \"id\" must be a string or a number.");
            return null;
        }

        if (root.TryGetProperty("method", out var method))
        {
            if (method.ValueKind != JsonValueKind.String || method.GetString() is not { Length: > 0 } name)
            {
                error = new JsonRpcError(GatewayErrorCodes.InvalidRequest, "Invalid Request: \"method\" must be a non-empty string.");
                return null;
            }

            var parameters = root.TryGetProperty("params", out var p) ? p : default;
            if (parameters.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Object))
            {
                error = new JsonRpcError(GatewayErrorCodes.InvalidParams, "Invalid params: \"params\" must be an object.");
                return null;
            }

            return new JsonRpcMessage(document, utf8, hasId ? JsonRpcKind.Request : JsonRpcKind.Notification, hasId ? id : default, name, parameters);
        }

        if (hasId && (root.TryGetProperty("result", out _) ^ root.TryGetProperty("error", out _)))
        {
            return new JsonRpcMessage(document, utf8, JsonRpcKind.Response, id, null, default);
        }

        error = new JsonRpcError(GatewayErrorCodes.InvalidRequest, "Invalid Request: neither a request, a notification nor a response.");
        return null;
    }
}

/// <summary>A JSON-RPC error the gateway answers with.</summary>
internal readonly record struct JsonRpcError(int Code, string Message);
