using Gateway.Proxy.JsonRpc;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Proxy.Mcp;

namespace Gateway.Proxy.Audit;

/// <summary>
/// Canonical JSON for hashing call arguments: object keys sorted by ordinal, no whitespace, strings with minimal
/// escaping, numbers exactly as the client sent them. The same arguments hash the same whatever their key order
/// or formatting, so an auditor can match a call without the gateway ever storing its arguments.
/// </summary>
public static class CanonicalJson
{
    public static byte[] Serialize(JsonElement element)
    {
        using var scratch = ScratchJsonWriter.RentRelaxed();
        Write(scratch.Writer, element);
        return scratch.ToArray();
    }

    /// <summary>Lower-case hex SHA-256 of the canonical form.</summary>
    public static string Sha256(JsonElement element) => Hash(element, withText: false).Sha256;

    /// <summary>
    /// The lower-case hex SHA-256 of the canonical form and, when <paramref name="withText"/>, the canonical form
    /// itself. Written into a reused buffer and hashed there: per call, only the strings returned are allocated.
    /// </summary>
    public static (string Sha256, string? Text) Hash(JsonElement element, bool withText)
    {
        using var scratch = ScratchJsonWriter.RentRelaxed();
        Write(scratch.Writer, element);
        var canonical = scratch.WrittenSpan;
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(canonical, hash);
        return (Convert.ToHexStringLower(hash), withText ? Encoding.UTF8.GetString(canonical) : null);
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(writer, element);
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                // The raw token without its quotes; without escapes it is the value itself, which the writer escapes
                // as it would GetString's.
                var raw = JsonMarshal.GetRawUtf8Value(element)[1..^1];
                if (raw.IndexOf((byte)'\\') < 0)
                {
                    writer.WriteStringValue(raw);
                }
                else
                {
                    writer.WriteStringValue(element.GetString());
                }

                break;
            default:
                // Numbers, true, false, null: their raw text is already canonical enough to compare.
                writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(element), skipInputValidation: true);
                break;
        }
    }

    private static void WriteObject(Utf8JsonWriter writer, JsonElement element)
    {
        writer.WriteStartObject();
        var count = element.GetPropertyCount();
        if (count == 1)
        {
            // Nothing to sort: most tool arguments, and every nested single-key object.
            foreach (var property in element.EnumerateObject())
            {
                writer.WritePropertyName(property.Name);
                Write(writer, property.Value);
            }
        }
        else if (count > 1)
        {
            // Each name read once: JsonProperty.Name decodes a new string on every access.
            var properties = new (string Name, JsonElement Value)[count];
            var i = 0;
            foreach (var property in element.EnumerateObject())
            {
                properties[i++] = (property.Name, property.Value);
            }

            Array.Sort(properties, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            foreach (var (name, value) in properties)
            {
                writer.WritePropertyName(name);
                Write(writer, value);
            }
        }

        writer.WriteEndObject();
    }
}
