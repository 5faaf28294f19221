using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gateway.Contracts.Circuit;
using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Ingestion;

/// <summary>
/// Turns the health monitor's transitions into audit records. The monitor publishes no audit event of its own for
/// them, so the id is derived from (message type, backend, sequence): a redelivered transition maps to the same id
/// and is stored once.
/// </summary>
internal static class TransitionRecords
{
    public const string Source = "health-monitor";
    public const string CircuitMethod = "circuit/transition";
    public const string HealthMethod = "health/transition";

    public static AuditEvent From(CircuitStateChanged change) => new(
        EventId: DeterministicId(nameof(CircuitStateChanged), change.Backend, change.Sequence),
        Timestamp: change.At,
        Source: Source,
        RequestId: change.Sequence.ToString(CultureInfo.InvariantCulture),
        SessionId: null,
        ClientId: change.Actor,
        Method: CircuitMethod,
        Target: null,
        Backend: change.Backend,
        Decision: AuditDecision.Transition,
        Status: StateName(change.State),
        ErrorCode: null,
        LatencyMs: 0,
        ResponseBytes: 0,
        ArgumentsSha256: null,
        Arguments: null,
        Detail: change.Reason);

    public static AuditEvent From(BackendHealthChanged change) => new(
        EventId: DeterministicId(nameof(BackendHealthChanged), change.Backend, change.Sequence),
        Timestamp: change.At,
        Source: Source,
        RequestId: change.Sequence.ToString(CultureInfo.InvariantCulture),
        SessionId: null,
        ClientId: "monitor",
        Method: HealthMethod,
        Target: null,
        Backend: change.Backend,
        Decision: AuditDecision.Transition,
        Status: change.Healthy ? "healthy" : "unhealthy",
        ErrorCode: null,
        LatencyMs: 0,
        ResponseBytes: 0,
        ArgumentsSha256: null,
        Arguments: null,
        Detail: change.Reason);

    /// <summary>Status text of a breaker state, in the snake_case the other statuses use (<c>half_open</c>).</summary>
    public static string StateName(CircuitState state) => state switch
    {
        CircuitState.Closed => "closed",
        CircuitState.Open => "open",
        CircuitState.HalfOpen => "half_open",
        CircuitState.Isolated => "isolated",
        _ => state.ToString().ToLowerInvariant(),
    };

    /// <summary>A name-based UUID (RFC 9562 version 8) over SHA-256 of the three parts.</summary>
    public static Guid DeterministicId(string messageType, string backend, long sequence)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{messageType}\n{backend}\n{sequence}");
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
