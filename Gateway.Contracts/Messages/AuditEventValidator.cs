namespace Gateway.Contracts.Messages;

/// <summary>
/// Decides whether an event may be stored. The bus delivers whatever a publisher sent, so missing required fields
/// and oversized text are caught here, with a reason, before a batch is written: one bad event must never fail the
/// transaction of the good ones. The audit service runs it on every event; publishers' tests run it on what they
/// publish, so both sides hold to the same <see cref="AuditLimits"/>.
/// </summary>
public static class AuditEventValidator
{
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

        Required(problems, nameof(e.Source), e.Source, AuditLimits.MaxNameLength);
        Required(problems, nameof(e.Method), e.Method, AuditLimits.MaxNameLength);
        Required(problems, nameof(e.Status), e.Status, AuditLimits.MaxNameLength);
        Optional(problems, nameof(e.RequestId), e.RequestId, AuditLimits.MaxNameLength);
        Optional(problems, nameof(e.SessionId), e.SessionId, AuditLimits.MaxNameLength);
        Optional(problems, nameof(e.ClientId), e.ClientId, AuditLimits.MaxNameLength);
        Optional(problems, nameof(e.User), e.User, AuditLimits.MaxNameLength);
        Optional(problems, nameof(e.Backend), e.Backend, AuditLimits.MaxNameLength);
        Optional(problems, nameof(e.Target), e.Target, AuditLimits.MaxTargetLength);
        Optional(problems, nameof(e.Detail), e.Detail, AuditLimits.MaxDetailLength);
        Optional(problems, nameof(e.Arguments), e.Arguments, AuditLimits.MaxArgumentsLength);
        if (e.Llm is { } llm)
        {
            ValidateLlm(problems, llm);
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private static void ValidateLlm(List<string> problems, LlmCallAudit llm)
    {
        Optional(problems, "Llm.UpstreamModel", llm.UpstreamModel, AuditLimits.MaxNameLength);
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

        if (attempts.Count > AuditLimits.MaxLlmAttempts)
        {
            // Not walked: a runaway list would only multiply the reason.
            problems.Add($"Llm.Attempts has {attempts.Count} attempts, more than {AuditLimits.MaxLlmAttempts}");
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

            Required(problems, name + ".Provider", attempt.Provider, AuditLimits.MaxNameLength);
            Required(problems, name + ".Model", attempt.Model, AuditLimits.MaxNameLength);
            Required(problems, name + ".Outcome", attempt.Outcome, AuditLimits.MaxNameLength);
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
        else if (value is not null && !AuditLimits.IsStorable(value))
        {
            // Half a surrogate pair has no UTF-8 form: a strict encoder throws, a lenient one silently changes the text.
            problems.Add($"{name} contains a lone surrogate");
        }
    }
}
