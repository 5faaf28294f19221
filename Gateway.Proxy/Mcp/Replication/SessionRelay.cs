using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Proxy.Backends;
using StackExchange.Redis;

namespace Gateway.Proxy.Mcp.Replication;

/// <summary>
/// Carries server-to-client traffic between replicas over Redis pub/sub. A session's GET stream is held by one
/// replica, which listens on the session's channel: messages raised for the session elsewhere are published there.
/// A backend's request to the client (sampling, elicitation, roots) is answered by a POST that may land on another
/// replica: the id the client sees names the replica holding the backend session, and the answer is forwarded to
/// that replica's channel. Delivery is at most once, as on a stream that breaks.
/// </summary>
internal sealed partial class SessionRelay(IConnectionMultiplexer redis, ILogger<SessionRelay> logger)
{
    private const string StreamPrefix = "gateway:mcp:stream:";
    private const string ReplicaPrefix = "gateway:mcp:replica:";
    private readonly ConcurrentDictionary<string, ChannelMessageQueue> _streams = new(StringComparer.Ordinal);

    /// <summary>This replica's name in the ids of server-to-client requests it raises.</summary>
    public string ReplicaTag { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>Receives the client answers other replicas forward to this one; <paramref name="local"/> finds a session held here.</summary>
    public async Task ListenAsync(Func<string, McpSession?> local)
    {
        var queue = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(ReplicaPrefix + ReplicaTag));
        queue.OnMessage(message => DeliverForwardedAsync((byte[])message.Message!, local));
    }

    /// <summary>
    /// Publishes a message for the session's GET stream held by another replica; false when no replica listens (the
    /// caller keeps it for a stream opened later here) or Redis cannot be reached.
    /// </summary>
    public async ValueTask<bool> TryPublishToStreamAsync(string sessionId, byte[] message)
    {
        try
        {
            return await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(StreamPrefix + sessionId), message) > 0;
        }
        catch (RedisException ex)
        {
            LogRelayFailed(logger, sessionId, ex.Message);
            return false;
        }
    }

    /// <summary>Starts taking the session's messages raised on other replicas into <paramref name="outbound"/> (a GET stream opened here).</summary>
    public async Task ListenToStreamAsync(string sessionId, SessionOutbound outbound)
    {
        try
        {
            var queue = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(StreamPrefix + sessionId));
            queue.OnMessage(message => outbound.TryPost((byte[])message.Message!));
            if (_streams.TryAdd(sessionId, queue))
            {
                return;
            }

            await queue.UnsubscribeAsync();
        }
        catch (RedisException ex)
        {
            LogRelayFailed(logger, sessionId, ex.Message);
        }
    }

    /// <summary>Stops taking the session's messages (its last GET stream here closed, or the session ended).</summary>
    public async Task StopListeningToStreamAsync(string sessionId)
    {
        if (!_streams.TryRemove(sessionId, out var queue))
        {
            return;
        }

        try
        {
            await queue.UnsubscribeAsync();
        }
        catch (RedisException ex)
        {
            LogRelayFailed(logger, sessionId, ex.Message);
        }
    }

    /// <summary>The replica tag inside a server-to-client request id (<c>"gw-{tag}-{n}"</c>); null when it names none.</summary>
    public static string? ReplicaOf(string clientResponseId)
    {
        var id = clientResponseId.AsSpan().Trim('"');
        if (!id.StartsWith("gw-", StringComparison.Ordinal))
        {
            return null;
        }

        id = id[3..];
        var dash = id.IndexOf('-');
        return dash > 0 ? id[..dash].ToString() : null;
    }

    /// <summary>
    /// Forwards the client's answer to a request raised on another replica; false when the id names this replica or
    /// none, or nobody listens on the named replica's channel (it stopped).
    /// </summary>
    public async Task<bool> ForwardAnswerAsync(string sessionId, string clientResponseId, ReadOnlyMemory<byte> answer)
    {
        if (ReplicaOf(clientResponseId) is not { } replica || replica == ReplicaTag)
        {
            return false;
        }

        var frame = Frame(sessionId, clientResponseId, answer.Span);
        try
        {
            return await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(ReplicaPrefix + replica), frame) > 0;
        }
        catch (RedisException ex)
        {
            LogRelayFailed(logger, sessionId, ex.Message);
            return false;
        }
    }

    /// <summary>session id, newline, client response id, newline, the answer's JSON.</summary>
    private static byte[] Frame(string sessionId, string clientResponseId, ReadOnlySpan<byte> answer)
    {
        var head = Encoding.UTF8.GetBytes(sessionId + "\n" + clientResponseId + "\n");
        var frame = new byte[head.Length + answer.Length];
        head.CopyTo(frame, 0);
        answer.CopyTo(frame.AsSpan(head.Length));
        return frame;
    }

    private async Task DeliverForwardedAsync(byte[] frame, Func<string, McpSession?> local)
    {
        var first = Array.IndexOf(frame, (byte)'\n');
        var second = first < 0 ? -1 : Array.IndexOf(frame, (byte)'\n', first + 1);
        if (second < 0)
        {
            return;
        }

        var sessionId = Encoding.UTF8.GetString(frame, 0, first);
        var responseId = Encoding.UTF8.GetString(frame, first + 1, second - first - 1);
        if (local(sessionId) is not { } session || !session.TryTakeServerRequest(responseId, out var connection, out var backendId))
        {
            LogForwardedAnswerUnclaimed(logger, sessionId, responseId);
            return;
        }

        try
        {
            using var answer = JsonDocument.Parse(frame.AsMemory(second + 1));
            await connection.RespondAsync(backendId, answer.RootElement, CancellationToken.None);
        }
        catch (Exception ex) when (ex is JsonException or BackendException or OperationCanceledException or ObjectDisposedException)
        {
            LogRelayFailed(logger, sessionId, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP session {SessionId}: message not relayed between replicas: {Reason}")]
    private static partial void LogRelayFailed(ILogger logger, string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "MCP session {SessionId}: forwarded answer {ResponseId} matches no request waiting on this replica")]
    private static partial void LogForwardedAnswerUnclaimed(ILogger logger, string sessionId, string responseId);
}
