using System.Text.Json;
using Gateway.Proxy.Mcp;

namespace Gateway.Proxy.Pipeline;

/// <summary>
/// Serializes the JSON-RPC error objects (<c>{"code":..,"message":..,"data":{..}}</c>) the pipeline answers refusals
/// with. Only refusals pay for this, so the allowed path stays allocation-free.
/// </summary>
internal static class JsonRpcError
{
    public static BackendResult Refusal(int code, string message, Action<Utf8JsonWriter>? writeData = null)
    {
        // Answers go to JSON clients, never into HTML: keep names like 'alpha' readable instead of \u0027alpha\u0027.
        using var scratch = ScratchJsonWriter.RentRelaxed();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        writer.WriteNumber("code", code);
        writer.WriteString("message", message);
        if (writeData is not null)
        {
            writer.WriteStartObject("data");
            writeData(writer);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();

        return new BackendResult(scratch.ToArray(), IsError: true, ErrorCode: code, BackendFailed: false);
    }
}
