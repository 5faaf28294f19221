using System.Text.Json;
using Gateway.Proxy.Backends;

namespace Gateway.Proxy.Mcp;

/// <summary>
/// A sink that takes a backend's requests to the client (elicitation, sampling, roots) itself, rather than relaying
/// them over a client session: a 2026-07-28 client has none, so its call is held and the requests become an
/// <c>input_required</c> result.
/// </summary>
internal interface IServerRequestSink : IMcpMessageSink
{
    /// <summary>Takes the backend's request (its own JSON-RPC id in <paramref name="backendId"/>); the answer goes back through <paramref name="connection"/>.</summary>
    ValueTask AskAsync(BackendConnection connection, string backendId, JsonElement request);
}
