using System.Runtime.InteropServices;
using System.Text.Json;
using Gateway.Proxy.Catalog;
using Gateway.Proxy.JsonRpc;

namespace Gateway.Proxy.Mcp.Routing;

/// <summary>A routed request's params as the backend must see them: its own name for the item, and the gateway's progress token.</summary>
internal static class BackendParameters
{
    public static byte[] Rewrite(JsonRpcMessage message, CatalogEntry entry, string? progressToken)
    {
        var renamed = entry.OriginalName != entry.Name;
        if (message.Method == McpMethods.Complete)
        {
            return renamed
                ? RewriteCompletionRef(message.Params, entry.OriginalName)
                : JsonMarshal.GetRawUtf8Value(message.Params).ToArray();
        }

        if (!renamed && progressToken is null)
        {
            return message.Params.ValueKind == JsonValueKind.Object ? JsonMarshal.GetRawUtf8Value(message.Params).ToArray() : [];
        }

        var nameProperty = message.Method is McpMethods.ToolsCall or McpMethods.PromptsGet ? "name" : "uri";
        return JsonRpcWriter.RewriteParams(message.Params, nameProperty, renamed ? entry.OriginalName : null, progressToken);
    }

    /// <summary>The <c>arguments</c> of a call, for the audit event.</summary>
    public static JsonElement? ArgumentsOf(JsonRpcMessage message) =>
        message.Params.ValueKind == JsonValueKind.Object && message.Params.TryGetProperty("arguments", out var arguments) ? arguments : null;

    private static byte[] RewriteCompletionRef(JsonElement parameters, string originalName)
    {
        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        foreach (var property in parameters.EnumerateObject())
        {
            if (property.NameEquals("ref"u8))
            {
                writer.WritePropertyName("ref"u8);
                // A prompt reference names its prompt; a resource reference carries its URI.
                var key = property.Value.TryGetProperty("type", out var type) && type.ValueEquals("ref/resource"u8) ? "uri" : "name";
                writer.WriteRawValue(JsonRpcWriter.WithProperty(property.Value, key, originalName), skipInputValidation: true);
            }
            else
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();

        return scratch.ToArray();
    }
}
