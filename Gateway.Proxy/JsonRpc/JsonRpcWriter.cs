using System.Runtime.InteropServices;
using System.Text.Json;

namespace Gateway.Proxy.JsonRpc;

/// <summary>Writes JSON-RPC envelopes around payloads that are already serialized, without re-parsing them.</summary>
internal static class JsonRpcWriter
{
    /// <summary>
    /// <c>{"jsonrpc":"2.0","id":…,"result":…}</c> (or <c>"error"</c>) around <paramref name="payload"/>, copied once
    /// into an array of the exact size. The id is copied as the client wrote it; an id that is neither a string nor a
    /// number (a parse error's) is written as <c>null</c>.
    /// </summary>
    public static byte[] Response(JsonElement id, ReadOnlySpan<byte> payload, bool isError)
    {
        var rawId = RawId(id);
        var member = isError ? ErrorMember : ResultMember;
        var envelope = GC.AllocateUninitializedArray<byte>(EnvelopeStart.Length + rawId.Length + member.Length + payload.Length + 1);
        var span = envelope.AsSpan();
        EnvelopeStart.CopyTo(span);
        span = span[EnvelopeStart.Length..];
        rawId.CopyTo(span);
        span = span[rawId.Length..];
        member.CopyTo(span);
        span = span[member.Length..];
        payload.CopyTo(span);
        span[payload.Length] = (byte)'}';
        return envelope;
    }

    public static byte[] Result(JsonElement id, Action<Utf8JsonWriter> writeResult)
    {
        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        writer.WriteString("jsonrpc"u8, "2.0"u8);
        WriteId(writer, id);
        writer.WritePropertyName("result"u8);
        writeResult(writer);
        writer.WriteEndObject();

        return scratch.ToArray();
    }

    public static byte[] Error(JsonElement id, int code, string message) => Response(id, ErrorObject(code, message), isError: true);

    /// <summary><c>{"code":..,"message":..}</c>, the payload of an error response.</summary>
    public static byte[] ErrorObject(int code, string message)
    {
        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        writer.WriteNumber("code"u8, code);
        writer.WriteString("message"u8, message);
        writer.WriteEndObject();

        return scratch.ToArray();
    }

    /// <summary>A request or notification (no id when <paramref name="id"/> is null) with raw params.</summary>
    public static byte[] Request(string? id, string method, ReadOnlySpan<byte> parameters)
    {
        using var scratch = ScratchJsonWriter.Rent(parameters.Length + 96);
        var writer = scratch.Writer;
        writer.WriteStartObject();
        writer.WriteString("jsonrpc"u8, "2.0"u8);
        if (id is not null)
        {
            writer.WritePropertyName("id"u8);
            writer.WriteRawValue(id, skipInputValidation: true);
        }

        writer.WriteString("method"u8, method);
        if (!parameters.IsEmpty)
        {
            writer.WritePropertyName("params"u8);
            writer.WriteRawValue(parameters, skipInputValidation: true);
        }

        writer.WriteEndObject();

        return scratch.ToArray();
    }

    /// <summary>
    /// Copies <paramref name="message"/> with its <c>id</c> replaced by the raw JSON <paramref name="newId"/>; every
    /// other member is kept byte for byte.
    /// </summary>
    public static byte[] WithId(JsonElement message, string newId)
    {
        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        foreach (var property in message.EnumerateObject())
        {
            if (property.NameEquals("id"u8))
            {
                writer.WritePropertyName("id"u8);
                writer.WriteRawValue(newId, skipInputValidation: true);
            }
            else
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();

        return scratch.ToArray();
    }

    /// <summary>
    /// Copies a params object replacing <paramref name="nameProperty"/> by <paramref name="newName"/> (when not null)
    /// and <c>_meta.progressToken</c> by <paramref name="progressToken"/> (when not null). Unknown fields are kept.
    /// </summary>
    public static byte[] RewriteParams(JsonElement parameters, string? nameProperty, string? newName, string? progressToken)
    {
        if (parameters.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        foreach (var property in parameters.EnumerateObject())
        {
            if (newName is not null && property.NameEquals(nameProperty))
            {
                writer.WriteString(property.Name, newName);
            }
            else if (progressToken is not null && property.NameEquals("_meta"u8) && property.Value.ValueKind == JsonValueKind.Object)
            {
                writer.WriteStartObject("_meta"u8);
                foreach (var meta in property.Value.EnumerateObject())
                {
                    if (meta.NameEquals("progressToken"u8))
                    {
                        writer.WriteString("progressToken"u8, progressToken);
                    }
                    else
                    {
                        meta.WriteTo(writer);
                    }
                }

                writer.WriteEndObject();
            }
            else
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();

        return scratch.ToArray();
    }

    /// <summary>Copies an object with one string property replaced (used to rename catalog items).</summary>
    public static byte[] WithProperty(JsonElement item, string name, string value)
    {
        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        foreach (var property in item.EnumerateObject())
        {
            if (property.NameEquals(name))
            {
                writer.WriteString(property.Name, value);
            }
            else
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();

        return scratch.ToArray();
    }

    private static ReadOnlySpan<byte> EnvelopeStart => """{"jsonrpc":"2.0","id":"""u8;

    private static ReadOnlySpan<byte> ResultMember => ""","result":"""u8;

    private static ReadOnlySpan<byte> ErrorMember => ""","error":"""u8;

    private static ReadOnlySpan<byte> RawId(JsonElement id) =>
        id.ValueKind is JsonValueKind.String or JsonValueKind.Number ? JsonMarshal.GetRawUtf8Value(id) : "null"u8;

    private static void WriteId(Utf8JsonWriter writer, JsonElement id)
    {
        if (id.ValueKind is JsonValueKind.String or JsonValueKind.Number)
        {
            writer.WritePropertyName("id"u8);
            id.WriteTo(writer);
        }
        else
        {
            writer.WriteNull("id"u8);
        }
    }
}
