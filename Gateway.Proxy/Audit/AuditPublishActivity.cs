using System.Diagnostics;

namespace Gateway.Proxy.Audit;

/// <summary>
/// The producer span around publishing one audit batch. Batches go out on the publisher's own loop, where no call's
/// span is current; this span puts the publish back into the trace of the call that recorded the batch's first event
/// and links the other calls, so MassTransit's send span (a child of the current span) carries that trace to the
/// audit service's consume.
/// </summary>
public static class AuditPublishActivity
{
    /// <summary>Covered by ServiceDefaults' <c>Gateway.*</c> tracing registration.</summary>
    public const string SourceName = "Gateway.Proxy.Audit";

    public const string Name = "audit publish";

    /// <summary>Tag holding how many audit events the published batch carries.</summary>
    public const string EventCountTag = "gateway.audit.event_count";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Starts the span for <paramref name="batch"/>, or returns <c>null</c> (having allocated nothing) when no listener
    /// samples it. Events without a caller (replayed from disk, or recorded outside a traced call) add no link.
    /// </summary>
    public static Activity? Start(List<QueuedAuditEvent> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return null;
        }

        var parent = batch[0].Caller;
        var activity = Source.StartActivity(Name, ActivityKind.Producer, parent);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag(EventCountTag, batch.Count);
        // Links are added after the start so that an unsampled batch never builds them; samplers do not see them,
        // which is fine: the parent decides.
        HashSet<ActivityContext>? linked = null;
        for (var i = 1; i < batch.Count; i++)
        {
            var caller = batch[i].Caller;
            if (caller == default || caller == parent || !(linked ??= []).Add(caller))
            {
                continue;
            }

            activity.AddLink(new ActivityLink(caller));
        }

        return activity;
    }
}
