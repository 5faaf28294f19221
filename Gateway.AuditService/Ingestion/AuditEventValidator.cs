using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Ingestion;

/// <summary>
/// Decides whether an event may be stored. The bus delivers whatever a publisher sent, so missing required fields
/// and oversized text are caught here, with a reason, before a batch is written: one bad event must never fail the
/// transaction of the good ones.
/// </summary>
internal static class AuditEventValidator
{
    /// <summary>Longest identifier-like field (source, ids, method, status, backend, client). </summary>
    public const int MaxNameLength = 256;

    /// <summary>Longest tool name, resource URI or prompt name.</summary>
    public const int MaxTargetLength = 2048;

    /// <summary>Longest free-text detail.</summary>
    public const int MaxDetailLength = 8 * 1024;

    /// <summary>Longest raw arguments (only stored when a deployment opts in).</summary>
    public const int MaxArgumentsLength = 64 * 1024;

    /// <summary>
    /// Most attempts one LLM request may list: a model maps to a handful of provider targets; more means a
    /// publisher's bug, and each attempt costs three names of storage.
    /// </summary>
    public const int MaxLlmAttempts = 16;

    /// <summary>Returns null when <paramref name="e"/> may be stored, otherwise why not.</summary>
    public static string? Validate(AuditEvent? e)
    {
        if (e is null)
        {
            return "the message has no event";
        }

        var problems = new List<string>();
        if (e.EventId == Guid.Empty)
        {
            problems.Add("EventId is missing");
        }

        if (e.Timestamp == default)
        {
            problems.Add("Timestamp is missing");
        }

        if (!Enum.IsDefined(e.Decision))
        {
            problems.Add($"Decision {(int)e.Decision} is not a known decision");
        }

        if (!double.IsFinite(e.LatencyMs) || e.LatencyMs < 0)
        {
            problems.Add("LatencyMs must be a finite, non-negative number");
        }

        if (e.ResponseBytes < 0)
        {
            problems.Add("ResponseBytes must not be negative");
        }

        if (e.ArgumentsSha256 is { } sha && (sha.Length != 64 || !sha.All(char.IsAsciiHexDigitLower)))
        {
            problems.Add("ArgumentsSha256 must be 64 lower-case hex digits");
        }

        Required(problems, nameof(e.Source), e.Source, MaxNameLength);
        Required(problems, nameof(e.Method), e.Method, MaxNameLength);
        Required(problems, nameof(e.Status), e.Status, MaxNameLength);
        Optional(problems, nameof(e.RequestId), e.RequestId, MaxNameLength);
        Optional(problems, nameof(e.SessionId), e.SessionId, MaxNameLength);
        Optional(problems, nameof(e.ClientId), e.ClientId, MaxNameLength);
        Optional(problems, nameof(e.User), e.User, MaxNameLength);
        Optional(problems, nameof(e.Backend), e.Backend, MaxNameLength);
        Optional(problems, nameof(e.Target), e.Target, MaxTargetLength);
        Optional(problems, nameof(e.Detail), e.Detail, MaxDetailLength);
        Optional(problems, nameof(e.Arguments), e.Arguments, MaxArgumentsLength);
        if (e.Llm is { } llm)
        {
            ValidateLlm(problems, llm);
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private static void ValidateLlm(List<string> problems, LlmCallAudit llm)
    {
        Optional(problems, "Llm.UpstreamModel", llm.UpstreamModel, MaxNameLength);
        if (llm.TimeToFirstByteMs is { } ttfb && (!double.IsFinite(ttfb) || ttfb < 0))
        {
            problems.Add("Llm.TimeToFirstByteMs must be a finite, non-negative number");
        }

        if (llm.InputTokens < 0)
        {
            problems.Add("Llm.InputTokens must not be negative");
        }

        if (llm.OutputTokens < 0)
        {
            problems.Add("Llm.OutputTokens must not be negative");
        }

        // A record deserialized from the bus may hold nulls its declaration does not allow.
        if (llm.Attempts is not { } attempts)
        {
            problems.Add("Llm.Attempts is missing");
            return;
        }

        if (attempts.Count > MaxLlmAttempts)
        {
            // Not walked: a runaway list would only multiply the reason.
            problems.Add($"Llm.Attempts has {attempts.Count} attempts, more than {MaxLlmAttempts}");
            return;
        }

        for (var i = 0; i < attempts.Count; i++)
        {
            var name = $"Llm.Attempts[{i}]";
            if (attempts[i] is not { } attempt)
            {
                problems.Add($"{name} is missing");
                continue;
            }

            Required(problems, name + ".Provider", attempt.Provider, MaxNameLength);
            Required(problems, name + ".Model", attempt.Model, MaxNameLength);
            Required(problems, name + ".Outcome", attempt.Outcome, MaxNameLength);
            if (attempt.HttpStatus is < 100 or > 599)
            {
                problems.Add($"{name}.HttpStatus {attempt.HttpStatus} is not an HTTP status");
            }
        }
    }

    private static void Required(List<string> problems, string name, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add($"{name} is missing");
        }
        else
        {
            Optional(problems, name, value, maxLength);
        }
    }

    private static void Optional(List<string> problems, string name, string? value, int maxLength)
    {
        if (value is not null && value.Length > maxLength)
        {
            problems.Add($"{name} is {value.Length} characters, more than {maxLength}");
        }

        // PostgreSQL rejects NUL in text: such an event could never be committed and would hold its batch forever.
        if (value is not null && value.Contains('\0', StringComparison.Ordinal))
        {
            problems.Add($"{name} contains a NUL character");
        }
    }
}
