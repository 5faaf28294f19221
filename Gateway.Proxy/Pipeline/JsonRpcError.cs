using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.Proxy.Pipeline;

/// <summary>
/// Serializes the JSON-RPC error objects (<c>{"code":..,"message":..,"data":{..}}</c>) the pipeline answers refusals
/// with. Only refusals pay for this, so the allowed path stays allocation-free.
/// </summary>
internal static class JsonRpcError
{
    // Answers go to JSON clients, never into HTML: keep names like 'alpha' readable instead of \u0027alpha\u0027.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static BackendResult Refusal(int code, string message, Action<Utf8JsonWriter>? writeData = null)
    {
        var buffer = new ArrayBufferWriter<byte>(128 + (message.Length * 2));
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
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
        }

        return new BackendResult(buffer.WrittenMemory, IsError: true, ErrorCode: code, BackendFailed: false);
    }
}
