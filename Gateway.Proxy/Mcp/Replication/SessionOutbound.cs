using System.Threading.Channels;

namespace Gateway.Proxy.Mcp.Replication;

/// <summary>
/// Where a session's messages that belong to no request in flight go: the GET stream. Bounded, dropping the oldest,
/// because a client that never opens the stream must not make the gateway hold messages without bound. When the
/// session is shared and no stream is open on this replica, a message is published to the replica holding one; only
/// when none does is it kept here for a stream opened later.
/// </summary>
internal sealed class SessionOutbound : IMcpMessageSink
{
    private readonly Channel<byte[]> _buffer;
    private readonly string _sessionId;
    private SessionRelay? _relay;
    private int _openStreams;

    public SessionOutbound(string sessionId, int bufferSize)
    {
        _sessionId = sessionId;
        _buffer = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(bufferSize) { FullMode = BoundedChannelFullMode.DropOldest });
    }

    /// <summary>Drained by the GET stream (HTTP) or stdout (stdio).</summary>
    public ChannelReader<byte[]> Reader => _buffer.Reader;

    public bool HasOpenStream => Volatile.Read(ref _openStreams) > 0;

    public async ValueTask SendAsync(byte[] message, CancellationToken cancellationToken)
    {
        if (!HasOpenStream && _relay is { } relay && await relay.TryPublishToStreamAsync(_sessionId, message))
        {
            return;
        }

        await _buffer.Writer.WriteAsync(message, cancellationToken);
    }

    /// <summary>Queues here without waiting or relaying (every replica raises its own catalog notifications); false when closed.</summary>
    public bool TryPost(byte[] message) => _buffer.Writer.TryWrite(message);

    public void Complete() => _buffer.Writer.TryComplete();

    internal void Share(SessionRelay relay) => _relay = relay;

    /// <summary>
    /// A GET stream opened here: the first one starts taking what other replicas publish for the session, and is
    /// answered once that is so, or a message raised elsewhere right after could find no listener.
    /// </summary>
    internal Task StreamOpenedAsync() =>
        Interlocked.Increment(ref _openStreams) == 1 && _relay is { } relay ? relay.ListenToStreamAsync(_sessionId, this) : Task.CompletedTask;

    internal void StreamClosed()
    {
        if (Interlocked.Decrement(ref _openStreams) == 0 && _relay is { } relay)
        {
            _ = relay.StopListeningToStreamAsync(_sessionId);
        }
    }
}
