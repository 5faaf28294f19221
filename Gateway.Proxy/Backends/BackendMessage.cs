using System.Runtime.InteropServices;
using System.Text.Json;

namespace Gateway.Proxy.Backends;

/// <summary>
/// One JSON-RPC message a backend sent: parsed, and the bytes it was parsed from, so that a result is relayed as a
/// slice of what the backend wrote instead of a copy of it.
/// </summary>
internal sealed class BackendMessage(JsonDocument document, ReadOnlyMemory<byte> utf8) : IDisposable
{
    public JsonElement RootElement => document.RootElement;

    /// <summary>
    /// The bytes of <paramref name="element"/>, an element of this message, as the backend wrote them: a slice of the
    /// message, valid as long as anything holds it (disposing the message returns only the parsed form's buffers).
    /// </summary>
    public ReadOnlyMemory<byte> Raw(JsonElement element)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);
        return utf8.Span.Overlaps(raw, out var offset) ? utf8.Slice(offset, raw.Length) : raw.ToArray();
    }

    public void Dispose() => document.Dispose();
}
