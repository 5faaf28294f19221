using System.Text.Json;

namespace Gateway.IntegrationTests.Chaos;

/// <summary>
/// What one scenario did to the calls, counted from the clients' attempts and the audit log after the system recovered.
/// A call is one marker; each attempt at it (a retry after no answer) has its own request id, so every audit event
/// belongs to exactly one attempt.
/// </summary>
/// <param name="Scenario">The scenario's short name (the markers' middle part).</param>
/// <param name="Fault">The fault, in words.</param>
/// <param name="Sent">Calls sent (markers).</param>
/// <param name="Attempts">Requests sent for them (retries included).</param>
/// <param name="Retried">Calls sent more than once because an attempt got no answer.</param>
/// <param name="Answered">Calls answered with a JSON-RPC result.</param>
/// <param name="Refused">Calls answered with a JSON-RPC error (refused while the fault lasted).</param>
/// <param name="RefusedByCode">The refusals by JSON-RPC error code.</param>
/// <param name="Unanswered">Calls with no JSON-RPC answer after every attempt. Must be 0.</param>
/// <param name="Audited">Calls with at least one audit event.</param>
/// <param name="Lost">Attempts answered with a result that have no audit event. Must be 0.</param>
/// <param name="RefusedUnaudited">Attempts answered with an error that have no audit event. Must be 0.</param>
/// <param name="Duplicated">Attempts with more than one audit event (one request recorded twice). Must be 0.</param>
/// <param name="ExecutedTwice">
/// Calls audited as allowed for two attempts: the client retried an attempt whose answer it never got, and that attempt
/// had reached the backend. Two executions, each recorded once under its own request id; reported, not a duplicate.
/// </param>
/// <param name="OverridesLost">Overrides (kill switch, isolation, per proxy replica) in force before the fault and not after. Must be 0.</param>
public sealed record ChaosCounts(
    string Scenario,
    string Fault,
    int Sent,
    int Attempts,
    int Retried,
    int Answered,
    int Refused,
    IReadOnlyDictionary<string, int> RefusedByCode,
    int Unanswered,
    int Audited,
    int Lost,
    int RefusedUnaudited,
    int Duplicated,
    int ExecutedTwice,
    int OverridesLost)
{
    /// <summary>Whether every client was served again after the fault (within the suite's bound).</summary>
    public bool Recovered { get; init; } = true;

    /// <summary>Whether the system recovered and every count that must be zero is zero.</summary>
    public bool Holds => Recovered && Unanswered == 0 && Lost == 0 && RefusedUnaudited == 0 && Duplicated == 0 && OverridesLost == 0;

    public static ChaosCounts From(string scenario, string fault, IReadOnlyList<ChaosAttempt> attempts, IReadOnlyList<JsonElement> audited, int overridesLost)
    {
        var events = audited.GroupBy(e => e.GetProperty("requestId").GetString()!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var calls = attempts.GroupBy(a => a.Marker, StringComparer.Ordinal).ToList();
        var finals = calls.Select(c => c.FirstOrDefault(a => a.Outcome != ChaosOutcome.NoAnswer)).ToList();
        return new ChaosCounts(
            scenario,
            fault,
            Sent: calls.Count,
            Attempts: attempts.Count,
            Retried: calls.Count(c => c.Count() > 1),
            Answered: finals.Count(a => a?.Outcome == ChaosOutcome.Result),
            Refused: finals.Count(a => a?.Outcome == ChaosOutcome.Error),
            RefusedByCode: finals.Where(a => a?.Outcome == ChaosOutcome.Error)
                .GroupBy(a => a!.ErrorCode!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            Unanswered: finals.Count(a => a is null),
            Audited: calls.Count(c => c.Any(a => events.ContainsKey(a.RequestId))),
            Lost: attempts.Count(a => a.Outcome == ChaosOutcome.Result && !events.ContainsKey(a.RequestId)),
            RefusedUnaudited: attempts.Count(a => a.Outcome == ChaosOutcome.Error && !events.ContainsKey(a.RequestId)),
            Duplicated: events.Values.Count(e => e.Count > 1),
            ExecutedTwice: calls.Count(c => c.Count(a => events.TryGetValue(a.RequestId, out var e)
                && e.Any(x => string.Equals(x.GetProperty("decision").GetString(), "allowed", StringComparison.OrdinalIgnoreCase))) > 1),
            overridesLost);
    }

    /// <summary>Request ids of answered attempts not yet in the audit log (what the suite waits for after recovery).</summary>
    public static IEnumerable<string> Unaudited(IEnumerable<ChaosAttempt> attempts, IReadOnlyList<JsonElement> audited)
    {
        var ids = audited.Select(e => e.GetProperty("requestId").GetString()).ToHashSet(StringComparer.Ordinal);
        return attempts.Where(a => a.Outcome != ChaosOutcome.NoAnswer && !ids.Contains(a.RequestId)).Select(a => a.RequestId);
    }
}
