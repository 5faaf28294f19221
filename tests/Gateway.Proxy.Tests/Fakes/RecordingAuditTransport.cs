using System.Collections.Concurrent;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Audit;

namespace Gateway.Proxy.Tests.Fakes;

/// <summary>Keeps every audit event the proxy publishes, in place of the bus.</summary>
internal sealed class RecordingAuditTransport : IAuditTransport
{
    public ConcurrentQueue<AuditEvent> Events { get; } = new();

    public Task PublishAsync(AuditEventBatch batch, CancellationToken cancellationToken)
    {
        foreach (var e in batch.Events)
        {
            Events.Enqueue(e);
        }

        return Task.CompletedTask;
    }

    /// <summary>The first event matching <paramref name="match"/>, waiting up to 10 s for the publisher's next batch.</summary>
    public async Task<AuditEvent> WaitForAsync(Func<AuditEvent, bool> match)
    {
        for (var i = 0; i < 200; i++)
        {
            if (Events.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("No matching audit event was published.");
    }
}
