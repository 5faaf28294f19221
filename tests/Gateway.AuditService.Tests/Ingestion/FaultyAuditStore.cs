using Gateway.AuditService.Storage;
using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Tests.Ingestion;

/// <summary>
/// The real store behind a switch: <c>fault</c> sees every append and may throw instead of letting it through, so a
/// test decides which commits fail and how. Transience is judged by the real store, as in production.
/// </summary>
internal sealed class FaultyAuditStore(IAuditStore inner, Func<IReadOnlyCollection<AuditEvent>, Exception?> fault) : IAuditStore
{
    private int _appends;

    /// <summary>Append attempts so far, failed ones included.</summary>
    public int Appends => Volatile.Read(ref _appends);

    public string Engine => inner.Engine;

    public Task MigrateAsync(CancellationToken cancellationToken) => inner.MigrateAsync(cancellationToken);

    public Task<int> AppendAsync(IReadOnlyCollection<AuditEvent> events, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _appends);
        return fault(events) is { } exception ? Task.FromException<int>(exception) : inner.AppendAsync(events, cancellationToken);
    }

    public bool IsTransient(Exception exception) => inner.IsTransient(exception);

    public AuditQueries Queries => inner.Queries;

    public Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken) =>
        inner.DeleteOlderThanAsync(cutoff, batchSize, cancellationToken);
}
