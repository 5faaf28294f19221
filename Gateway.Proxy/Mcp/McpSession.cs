using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Gateway.Proxy.Backends;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Mcp;

/// <summary>Where messages for a client go: a POST's SSE answer, a session's GET stream, or stdout.</summary>
internal interface IMcpMessageSink
{
    ValueTask SendAsync(byte[] message, CancellationToken cancellationToken);
}

/// <summary>A sink backed by a channel that a transport drains.</summary>
internal sealed class ChannelMessageSink(Channel<byte[]> channel) : IMcpMessageSink
{
    public ChannelReader<byte[]> Reader => channel.Reader;

    public ValueTask SendAsync(byte[] message, CancellationToken cancellationToken) => channel.Writer.WriteAsync(message, cancellationToken);

    /// <summary>Queues without waiting; false when the sink is closed.</summary>
    public bool TryPost(byte[] message) => channel.Writer.TryWrite(message);

    public void Complete() => channel.Writer.TryComplete();
}

/// <summary>The client a backend's message is relayed to: its session (for answers to server requests) and a sink.</summary>
internal sealed record RelayTarget(McpSession? Session, IMcpMessageSink Sink);

/// <summary>
/// One client session of the session-era protocol (or the single stdio client): negotiated version, capabilities,
/// its own backend sessions, the buffer behind its GET stream and the server-to-client requests awaiting answers.
/// </summary>
internal sealed class McpSession : IAsyncDisposable
{
    private static long s_serverRequestIds;
    private readonly TimeProvider _time;
    private readonly Channel<byte[]> _outbound;
    private readonly ConcurrentDictionary<string, BackendConnection> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (BackendConnection Connection, string BackendId)> _serverRequests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _inFlight = new(StringComparer.Ordinal);
    private long _lastActivity;
    private int _openStreams;

    public McpSession(string id, ClientIdentity client, string protocolVersion, JsonElement clientCapabilities, int bufferSize, TimeProvider time)
    {
        Id = id;
        Client = client;
        ProtocolVersion = protocolVersion;
        ClientCapabilities = clientCapabilities.ValueKind == JsonValueKind.Object ? clientCapabilities.Clone() : default;
        _time = time;
        // A client that never opens the GET stream must not make the gateway hold messages without bound.
        _outbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(bufferSize) { FullMode = BoundedChannelFullMode.DropOldest });
        Outbound = new ChannelMessageSink(_outbound);
        DefaultTarget = new RelayTarget(this, Outbound);
        Touch();
    }

    public string Id { get; }

    public ClientIdentity Client { get; }

    public string ProtocolVersion { get; }

    /// <summary>What the client declared in <c>initialize</c>; passed on to its backend sessions.</summary>
    public JsonElement ClientCapabilities { get; }

    /// <summary>Messages not tied to a request in flight, drained by the GET stream (HTTP) or stdout (stdio).</summary>
    public ChannelMessageSink Outbound { get; }

    public RelayTarget DefaultTarget { get; }

    /// <summary>The last <c>logging/setLevel</c>, applied to backend sessions opened later.</summary>
    public string? LogLevel { get; set; }

    public IEnumerable<BackendConnection> Connections => _connections.Values;

    public void Touch() => Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());

    /// <summary>Idle for longer than <paramref name="timeout"/>, and no GET stream is open.</summary>
    public bool IsExpired(TimeSpan timeout) =>
        Volatile.Read(ref _openStreams) == 0 && _time.GetElapsedTime(Interlocked.Read(ref _lastActivity)) > timeout;

    public void StreamOpened() => Interlocked.Increment(ref _openStreams);

    public void StreamClosed()
    {
        Interlocked.Decrement(ref _openStreams);
        Touch();
    }

    public BackendConnection GetOrAddConnection(string backend, Func<string, BackendConnection> create) =>
        _connections.GetOrAdd(backend, create);

    /// <summary>Swaps a reconfigured backend's session for a new one, unless another call did first.</summary>
    public bool TryReplaceConnection(string backend, BackendConnection stale, BackendConnection fresh) =>
        _connections.TryUpdate(backend, fresh, stale);

    /// <summary>Remembers a backend's request to the client; returns the raw JSON id the client sees.</summary>
    public string RegisterServerRequest(BackendConnection connection, string backendId)
    {
        var id = "\"gw-" + Interlocked.Increment(ref s_serverRequestIds).ToString(CultureInfo.InvariantCulture) + "\"";
        _serverRequests[id] = (connection, backendId);
        return id;
    }

    public bool TryTakeServerRequest(string clientResponseId, out BackendConnection connection, out string backendId)
    {
        if (_serverRequests.TryRemove(clientResponseId, out var entry))
        {
            (connection, backendId) = entry;
            return true;
        }

        connection = null!;
        backendId = "";
        return false;
    }

    /// <summary>Tracks a client request so <c>notifications/cancelled</c> can cancel it.</summary>
    public void TrackRequest(string requestId, CancellationTokenSource cancellation) => _inFlight[requestId] = cancellation;

    public void UntrackRequest(string requestId) => _inFlight.TryRemove(requestId, out _);

    public void CancelRequest(string requestId)
    {
        if (_inFlight.TryGetValue(requestId, out var cancellation))
        {
            try
            {
                cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The request finished (and disposed its source) between the lookup and the cancel: nothing to do.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Outbound.Complete();
        foreach (var connection in _connections.Values)
        {
            if (connection.Owner is not null)
            {
                await connection.DisposeAsync();
            }
        }

        _connections.Clear();
    }
}
