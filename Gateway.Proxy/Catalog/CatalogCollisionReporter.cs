using System.Collections.Immutable;
using Gateway.Proxy.Audit;

namespace Gateway.Proxy.Catalog;

/// <summary>
/// Tells operators about names a catalog change had to qualify: a warning in the log for each, and, when a change
/// while running introduced it (not the start), an audit event (<c>catalog/name-collision</c>) from this replica.
/// </summary>
internal sealed partial class CatalogCollisionReporter(AuditRecorder audit, ILogger<CatalogCollisionReporter> logger)
{
    /// <summary>Who the audit events are attributed to: the configuration (or a backend's own list), not a client.</summary>
    public const string Actor = "gateway-config";

    public const string AuditAction = "catalog/name-collision";

    public const string AuditStatus = "renamed";

    /// <summary>Reports the collisions in <paramref name="next"/> that <paramref name="previous"/> did not have.</summary>
    public void Report(ImmutableArray<CatalogCollision> previous, ImmutableArray<CatalogCollision> next, bool atStart)
    {
        foreach (var collision in next)
        {
            if (previous.Contains(collision))
            {
                continue;
            }

            var description = collision.Describe();
            LogCollision(logger, description);
            if (!atStart)
            {
                audit.RecordAdmin(Actor, AuditAction, collision.Shown, collision.Backend, AuditStatus, description);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catalog name collision: {Collision}. Set Naming: Prefixed (or a Prefix) on the backend to choose its names.")]
    private static partial void LogCollision(ILogger logger, string collision);
}
