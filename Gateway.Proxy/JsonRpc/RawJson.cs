using System.Runtime.InteropServices;
using System.Text.Json;

namespace Gateway.Proxy.JsonRpc;

/// <summary>An element's bytes as the sender wrote them, taken from the message instead of copied out of it.</summary>
internal static class RawJson
{
    /// <summary>
    /// The slice of <paramref name="utf8"/> that <paramref name="element"/>, parsed from it, was read from; a copy only
    /// when the element comes from somewhere else. The slice stays valid after the document is disposed (that returns
    /// the document's own buffers, not the message's).
    /// </summary>
    public static ReadOnlyMemory<byte> Of(ReadOnlyMemory<byte> utf8, JsonElement element)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);
        return utf8.Span.Overlaps(raw, out var offset) ? utf8.Slice(offset, raw.Length) : raw.ToArray();
    }
}
