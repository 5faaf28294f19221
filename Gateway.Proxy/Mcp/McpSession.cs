using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Gateway.Proxy.Backends;
using Gateway.Proxy.Mcp.Replication;
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
    private readonly ConcurrentDictionary<string, BackendConnection> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (BackendConnection Connection, string BackendId)> _serverRequests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _inFlight = new(StringComparer.Ordinal);
    private readonly Lock _sharedState = new();
    private string? _logLevel;
    private BackendSubscription[] _subscriptions = [];
    private string _serverRequestPrefix = "\"gw-";
    private Action<McpSession>? _changed;
    private long _lastActivity;
    private long _lastShared;

    public McpSession(string id, ClientIdentity client, string protocolVersion, JsonElement clientCapabilities, int bufferSize, TimeProvider time)
    {
        Id = id;
        Client = client;
        ProtocolVersion = protocolVersion;
        ClientCapabilities = clientCapabilities.ValueKind == JsonValueKind.Object ? clientCapabilities.Clone() : default;
        _time = time;
        Outbound = new SessionOutbound(id, bufferSize);
        DefaultTarget = new RelayTarget(this, Outbound);
        Touch();
        _lastShared = _lastActivity;
    }

    /// <summary>A session another replica created, as its shared record describes it.</summary>
    public static McpSession FromRecord(SessionRecord record, int bufferSize, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(record);
        var client = new ClientIdentity(record.ClientId, record.Roles ?? [], record.IsAnonymous, record.User);
        var session = new McpSession(record.Id, client, record.ProtocolVersion, record.Capabilities ?? default, bufferSize, time);
        session.Apply(record);
        return session;
    }

    public string Id { get; }

    public ClientIdentity Client { get; }

    public string ProtocolVersion { get; }

    /// <summary>What the client declared in <c>initialize</c>; passed on to its backend sessions.</summary>
    public JsonElement ClientCapabilities { get; }

    /// <summary>Messages not tied to a request in flight, drained by the GET stream (HTTP) or stdout (stdio).</summary>
    public SessionOutbound Outbound { get; }

    public RelayTarget DefaultTarget { get; }

    /// <summary>The last <c>logging/setLevel</c>, applied to backend sessions opened later (on any replica).</summary>
    public string? LogLevel
    {
        get => Volatile.Read(ref _logLevel);
        set
        {
            if (Interlocked.Exchange(ref _logLevel, value) != value)
            {
                _changed?.Invoke(this);
            }
        }
    }

    /// <summary>The resources the client subscribed to, subscribed again on backend sessions opened later (on any replica).</summary>
    public IReadOnlyList<BackendSubscription> Subscriptions => Volatile.Read(ref _subscriptions);

    public IEnumerable<BackendConnection> Connections => _connections.Values;

    /// <summary>Whether other replicas know this session (through Redis); the stdio session and Redis-less ones are this replica's alone.</summary>
    public bool IsShared { get; private set; }

    public void Touch() => Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());

    /// <summary>Idle for longer than <paramref name="timeout"/>, and no GET stream is open.</summary>
    public bool IsExpired(TimeSpan timeout) =>
        !Outbound.HasOpenStream && _time.GetElapsedTime(Interlocked.Read(ref _lastActivity)) > timeout;

    /// <summary>A GET stream opened; completes when messages raised for the session on other replicas reach it.</summary>
    public Task StreamOpenedAsync() => Outbound.StreamOpenedAsync();

    public void StreamClosed()
    {
        Outbound.StreamClosed();
        Touch();
    }

    /// <summary>Remembers a subscription a backend accepted, under the backend's own URI for the resource.</summary>
    public void AddSubscription(string backend, string uri) => ChangeSubscriptions(new BackendSubscription(backend, uri), add: true);

    public void RemoveSubscription(string backend, string uri) => ChangeSubscriptions(new BackendSubscription(backend, uri), add: false);

    /// <summary>What other replicas must know of this session.</summary>
    public SessionRecord ToRecord() => new(Id, Client.ClientId, Client.User, Client.IsAnonymous, Client.Roles, ProtocolVersion,
        ClientCapabilities.ValueKind == JsonValueKind.Object ? ClientCapabilities : null, LogLevel, Subscriptions);

    /// <summary>
    /// Takes the logging level and subscriptions another replica recorded. Backend sessions already open here keep
    /// what they were told; those opened later are told the new values.
    /// </summary>
    public void Apply(SessionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_sharedState)
        {
            Volatile.Write(ref _logLevel, record.LogLevel);
            Volatile.Write(ref _subscriptions, [.. record.Subscriptions ?? []]);
        }
    }

    /// <summary>
    /// Makes the session one of many replicas': GET-stream messages and answers to backend requests travel through
    /// <paramref name="relay"/>, and <paramref name="changed"/> is told when what other replicas must know changes.
    /// </summary>
    internal void Share(SessionRelay relay, Action<McpSession> changed)
    {
        IsShared = true;
        _serverRequestPrefix = "\"gw-" + relay.ReplicaTag + "-";
        _changed = changed;
        Outbound.Share(relay);
    }

    /// <summary>The shared lifetime was renewed (by a lookup in Redis) just now.</summary>
    internal void SharedRenewed() => Interlocked.Exchange(ref _lastShared, Interlocked.Read(ref _lastActivity));

    /// <summary>Whether the shared lifetime was last renewed longer than <paramref name="interval"/> ago; if so, counts it renewed now.</summary>
    internal bool ShouldRenewShared(TimeSpan interval)
    {
        var last = Interlocked.Read(ref _lastShared);
        var now = Interlocked.Read(ref _lastActivity);
        return _time.GetElapsedTime(last, now) > interval && Interlocked.CompareExchange(ref _lastShared, now, last) == last;
    }

    public BackendConnection GetOrAddConnection(string backend, Func<string, BackendConnection> create) =>
        _connections.GetOrAdd(backend, create);

    /// <summary>Swaps a reconfigured backend's session for a new one, unless another call did first.</summary>
    public bool TryReplaceConnection(string backend, BackendConnection stale, BackendConnection fresh) =>
        _connections.TryUpdate(backend, fresh, stale);

    /// <summary>Remembers a backend's request to the client; returns the raw JSON id the client sees.</summary>
    public string RegisterServerRequest(BackendConnection connection, string backendId)
    {
        // The id names this replica when the session is shared, so an answer landing on another one finds its way back.
        var id = _serverRequestPrefix + Interlocked.Increment(ref s_serverRequestIds).ToString(CultureInfo.InvariantCulture) + "\"";
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

    private void ChangeSubscriptions(BackendSubscription subscription, bool add)
    {
        lock (_sharedState)
        {
            var current = Volatile.Read(ref _subscriptions);
            if (current.Contains(subscription) == add)
            {
                return;
            }

            Volatile.Write(ref _subscriptions, add ? [.. current, subscription] : [.. current.Where(s => s != subscription)]);
        }

        _changed?.Invoke(this);
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
