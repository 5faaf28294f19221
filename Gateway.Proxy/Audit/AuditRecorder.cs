using System.Diagnostics;
using Gateway.Contracts.Configuration;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Pipeline;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Audit;

/// <summary>
/// Turns pipeline decisions and admin actions into <see cref="AuditEvent"/>s and hands them to the
/// <see cref="AuditBuffer"/>. Never waits and never throws into the call. Every text a client chose (request id,
/// method, target, arguments, detail) is <see cref="AuditLimits.Bound"/>ed, so no request can make its own event one
/// the audit service refuses.
/// </summary>
public sealed partial class AuditRecorder(
    AuditBuffer buffer,
    IOptionsMonitor<GatewayOptions> gateway,
    AuditSource source,
    TimeProvider time,
    ILogger<AuditRecorder> logger)
{
    /// <summary>
    /// Whether a call may be forwarded: false while the bus is down and the spill folder is at its bound, when an
    /// answered call could not be audited. Refusals are still recorded.
    /// </summary>
    public bool HasRoom => !buffer.IsSpillFull;

    /// <summary>Records the decision about one routed call.</summary>
    public void RecordCall(CallContext context, AuditDecision decision, string status, int? errorCode, long responseBytes, string? detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            string? hash = null, raw = null;
            if (context.Arguments is { } arguments)
            {
                (hash, raw) = CanonicalJson.Hash(arguments, withText: gateway.CurrentValue.AuditRawArguments);
                raw = AuditLimits.Bound(raw, AuditLimits.MaxArgumentsLength);
            }

            Write(context, context.Backend, decision, status, errorCode, responseBytes, hash, raw, detail, llm: null);
        }
        catch (Exception ex)
        {
            // Losing the audit trail must be loud, but it must not fail the call it describes.
            LogRecordFailed(logger, ex, context.Method, context.RequestId);
        }
    }

    /// <summary>
    /// Records the decision about one request on the <c>/v1</c> endpoints: <paramref name="provider"/> is the
    /// provider that answered (null when none did), <paramref name="llm"/> the attempts, tokens and timings.
    /// </summary>
    public void RecordLlm(CallContext context, AuditDecision decision, string status, int? httpStatus, long responseBytes, string? detail,
        string? provider, LlmCallAudit? llm)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            Write(context, provider, decision, status, httpStatus, responseBytes, null, null, detail, llm);
        }
        catch (Exception ex)
        {
            LogRecordFailed(logger, ex, context.Method, context.RequestId);
        }
    }

    private void Write(CallContext context, string? backend, AuditDecision decision, string status, int? errorCode, long responseBytes,
        string? argumentsHash, string? arguments, string? detail, LlmCallAudit? llm)
    {
        var now = time.GetUtcNow();
        buffer.Write(new AuditEvent(
            AuditEventIds.Next(now),
            now,
            source.Name,
            Name(context.RequestId),
            Name(context.SessionId),
            Name(context.Client.ClientId),
            Method(context.Method),
            AuditLimits.Bound(context.Target, AuditLimits.MaxTargetLength),
            backend,
            decision,
            status,
            errorCode,
            Stopwatch.GetElapsedTime(context.StartedAt).TotalMilliseconds,
            responseBytes,
            argumentsHash,
            arguments,
            Detail(detail),
            Name(context.Client.User),
            llm));
    }

    /// <summary>
    /// Records a request the transport edge refused before the pipeline: no valid credential (<c>-32001</c>, no client
    /// to attribute it to) or a token lacking a required scope (<c>-32003</c>, attributed to its client and user).
    /// </summary>
    public void RecordEdgeRefusal(ClientIdentity? client, string method, string? requestId, string? sessionId, string status, int errorCode,
        long responseBytes, string detail)
    {
        try
        {
            var now = time.GetUtcNow();
            buffer.Write(new AuditEvent(
                AuditEventIds.Next(now), now, source.Name, Name(requestId), Name(sessionId), Name(client?.ClientId), Method(method), null, null,
                AuditDecision.Refused, status, errorCode, 0, responseBytes, null, null, Detail(detail), Name(client?.User)));
        }
        catch (Exception ex)
        {
            LogRecordFailed(logger, ex, method, requestId);
        }
    }

    /// <summary>Records a request refused for carrying no valid credential (<c>-32001</c>).</summary>
    public void RecordUnauthenticated(string method, string? requestId, string? sessionId, long responseBytes, string detail) =>
        RecordEdgeRefusal(null, method, requestId, sessionId, AuditStatus.Unauthenticated, Contracts.GatewayErrorCodes.Unauthenticated, responseBytes, detail);

    /// <summary>Records an administrative action, attributed to the admin who made it.</summary>
    public void RecordAdmin(string actor, string action, string? target, string? backend, string status, string? detail)
    {
        try
        {
            var now = time.GetUtcNow();
            buffer.Write(new AuditEvent(
                AuditEventIds.Next(now), now, source.Name, Activity.Current?.TraceId.ToString(), null,
                actor, action, target, backend, AuditDecision.Admin, status, null, 0, 0, null, null, detail));
        }
        catch (Exception ex)
        {
            LogRecordFailed(logger, ex, action, null);
        }
    }

    private static string? Name(string? value) => AuditLimits.Bound(value, AuditLimits.MaxNameLength);

    /// <summary>A method is required: one a message did not state readably is recorded as <c>(invalid)</c>.</summary>
    private static string Method(string? value) => string.IsNullOrWhiteSpace(value) ? "(invalid)" : Name(value)!;

    private static string? Detail(string? value) => AuditLimits.Bound(value, AuditLimits.MaxDetailLength);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit event for {Method} (request {RequestId}) could not be recorded")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception, string method, string? requestId);
}

/// <summary>The <c>Source</c> stamped on this replica's audit events, e.g. <c>proxy/3f2a9c01</c>.</summary>
/// <param name="Name">The full source name.</param>
/// <param name="InstanceId">The part after <c>proxy/</c>; also names this replica's spill files.</param>
public sealed record AuditSource(string Name, string InstanceId)
{
    public static AuditSource From(AuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.Source))
        {
            var instance = options.Source[(options.Source.LastIndexOf('/') + 1)..];
            return new AuditSource(options.Source, instance.Length > 0 ? instance : "proxy");
        }

        var id = Guid.NewGuid().ToString("N")[..8];
        return new AuditSource("proxy/" + id, id);
    }
}
