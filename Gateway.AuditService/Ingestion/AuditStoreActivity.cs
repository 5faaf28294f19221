using System.Diagnostics;

namespace Gateway.AuditService.Ingestion;

/// <summary>
/// The span around one write of a batch to the audit store. MassTransit's consume span already covers the whole
/// batch (validation, rejects, retries, the write); this one shows, inside it, each attempt at the write itself, how
/// many events it carried, and whether the database took them. MassTransit runs a batch under the consume span of
/// the batch's last message, so in a batch of several proxy messages the write appears in that message's trace.
/// </summary>
internal static class AuditStoreActivity
{
    /// <summary>Covered by ServiceDefaults' <c>Gateway.*</c> tracing registration.</summary>
    public const string SourceName = "Gateway.AuditService";

    public const string Name = "audit store";

    /// <summary>Tag holding how many audit events the write carries.</summary>
    public const string EventCountTag = "gateway.audit.event_count";

    /// <summary>OpenTelemetry's tag for the database engine (<c>sqlite</c>, <c>postgresql</c>).</summary>
    public const string DatabaseTag = "db.system.name";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts the span as a child of the current (consume) span; <c>null</c> when no listener samples it.</summary>
    public static Activity? Start(int eventCount, string engine)
    {
        var activity = Source.StartActivity(Name, ActivityKind.Internal);
        activity?.SetTag(EventCountTag, eventCount);
        activity?.SetTag(DatabaseTag, engine);
        return activity;
    }
}
