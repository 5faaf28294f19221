using System.Text.Json;
using System.Threading.Channels;
using Gateway.Proxy.Backends;
using Gateway.Proxy.JsonRpc;

namespace Gateway.Proxy.Mcp.Subscriptions;

/// <summary>
/// One <c>subscriptions/listen</c> stream: the notifications it asked for, each carrying its subscription id in
/// <c>_meta</c>, queued for the transport to write (the oldest dropped past the session buffer size). Resource
/// updates come from backend sessions of its own, closed with it.
/// </summary>
internal sealed class Subscription : IMcpMessageSink, IAsyncDisposable
{
    private readonly Channel<byte[]> _outbound;
    private readonly byte[] _id;
    private readonly Dictionary<(string Backend, string Uri), string> _uris = [];
    private readonly List<BackendConnection> _connections = [];

    public Subscription(JsonElement id, SubscriptionFilter filter, int bufferSize)
    {
        _id = System.Text.Encoding.UTF8.GetBytes(id.GetRawText());
        Filter = filter;
        _outbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(bufferSize) { FullMode = BoundedChannelFullMode.DropOldest });
    }

    public SubscriptionFilter Filter { get; }

    public ChannelReader<byte[]> Reader => _outbound.Reader;

    /// <summary>The resource URIs (as the client knows them) whose updates this stream receives.</summary>
    public IEnumerable<string> ResourceUris
    {
        get
        {
            lock (_uris)
            {
                return [.. _uris.Values];
            }
        }
    }

    /// <summary>Remembers a backend session subscribed to <paramref name="backendUri"/>, shown to the client as <paramref name="uri"/>.</summary>
    public void Hold(BackendConnection connection, string backendUri, string uri)
    {
        lock (_uris)
        {
            _uris[(connection.Backend, backendUri)] = uri;
        }
    }

    /// <summary>Forgets a subscription its backend refused.</summary>
    public void Release(BackendConnection connection, string backendUri)
    {
        lock (_uris)
        {
            _uris.Remove((connection.Backend, backendUri));
        }
    }

    public void Keep(BackendConnection connection)
    {
        lock (_connections)
        {
            _connections.Add(connection);
        }
    }

    /// <summary>A catalog change, if this stream asked for its kind.</summary>
    public void Announce(string method)
    {
        if (Filter.Wants(method))
        {
            _outbound.Writer.TryWrite(Notification(method, default));
        }
    }

    /// <summary>What a backend session of this stream sent on its own: only <c>resources/updated</c> for a subscribed URI passes.</summary>
    public ValueTask SendAsync(byte[] message, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(message);
        var root = document.RootElement;
        if (root.TryGetProperty("method", out var method) && method.ValueEquals(McpMethods.ResourcesUpdated)
            && root.TryGetProperty("params", out var parameters) && parameters.ValueKind == JsonValueKind.Object
            && parameters.TryGetProperty("uri", out var uri) && uri.GetString() is { } backendUri)
        {
            string? shown;
            lock (_uris)
            {
                shown = _uris.FirstOrDefault(p => p.Key.Uri == backendUri).Value;
            }

            if (shown is not null)
            {
                _outbound.Writer.TryWrite(Notification(McpMethods.ResourcesUpdated, shown));
            }
        }

        return ValueTask.CompletedTask;
    }

    public byte[] Acknowledgement() => JsonRpcWriter.Request(null, McpMethods.SubscriptionsAcknowledged, Params(writer =>
        Filter.WriteAcknowledged(writer, ResourceUris)));

    /// <summary>The response that ends the stream gracefully (the server's side closing it).</summary>
    public byte[] Completion(JsonElement id) => JsonRpcWriter.Result(id, writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("resultType"u8, "complete"u8);
        WriteMeta(writer);
        writer.WriteEndObject();
    });

    public async ValueTask DisposeAsync()
    {
        _outbound.Writer.TryComplete();
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    private byte[] Notification(string method, string? uri) => JsonRpcWriter.Request(null, method, Params(writer =>
    {
        if (uri is not null)
        {
            writer.WriteString("uri"u8, uri);
        }
    }));

    private byte[] Params(Action<Utf8JsonWriter> write)
    {
        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        WriteMeta(writer);
        write(writer);
        writer.WriteEndObject();
        return scratch.ToArray();
    }

    private void WriteMeta(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("_meta"u8);
        writer.WritePropertyName(McpProtocol.MetaSubscriptionId);
        writer.WriteRawValue(_id, skipInputValidation: true);
        writer.WriteEndObject();
    }
}
