using System.IO.Pipelines;
using System.Threading.Channels;

namespace Gateway.Proxy.Mcp.Http;

/// <summary>
/// Where a backend's progress, logging and requests about a call answered as SSE go: events on that POST's stream,
/// ahead of the answer. Most backends send nothing before answering, so the queue and the task that writes it exist
/// only once something arrives. Until then a call costs this object alone, where a channel per call was made before.
/// </summary>
/// <remarks>
/// The queue is unbounded, as the channel was: a stdio backend's one reader serves every client, and must never
/// wait for a slow one. Whatever arrives after the answer has no stream left to go to and is dropped.
/// </remarks>
internal sealed class RelatedEvents(PipeWriter writer, CancellationToken answerCancelled) : IMcpMessageSink
{
    private readonly Lock _lock = new();
    private Channel<byte[]>? _queue;
    private Task _writing = Task.CompletedTask;
    private bool _answered;

    public ValueTask SendAsync(byte[] message, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_answered)
            {
                if (_queue is null)
                {
                    _queue = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
                    _writing = WriteQueuedAsync(_queue.Reader);
                }

                _queue.Writer.TryWrite(message);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the queue; the returned task ends once every event queued before is written.</summary>
    public Task CompleteAsync()
    {
        lock (_lock)
        {
            _answered = true;
            _queue?.Writer.TryComplete();
            return _writing;
        }
    }

    private async Task WriteQueuedAsync(ChannelReader<byte[]> queue)
    {
        await foreach (var message in queue.ReadAllAsync(answerCancelled))
        {
            await HttpAnswers.WriteEventAsync(writer, message, answerCancelled);
        }
    }
}
