using System.Text.Json;
using Gateway.Proxy.JsonRpc;

namespace Gateway.Proxy.Backends;

/// <summary>
/// One JSON-RPC message a backend sent: parsed, and the bytes it was parsed from, so that a result is relayed as a
/// slice of what the backend wrote instead of a copy of it.
/// </summary>
internal sealed class BackendMessage(JsonDocument document, ReadOnlyMemory<byte> utf8) : IDisposable
{
    public JsonElement RootElement => document.RootElement;

    /// <summary>The bytes of <paramref name="element"/>, an element of this message, as the backend wrote them.</summary>
    public ReadOnlyMemory<byte> Raw(JsonElement element) => RawJson.Of(utf8, element);

    public void Dispose() => document.Dispose();
}
