using Gateway.Proxy.Audit;
using Gateway.Proxy.Llm.Errors;

namespace Gateway.Proxy.Llm.Relay;

/// <summary>What the client and the audit log are told when no target answered, or how an answer ended.</summary>
internal static class LlmFailure
{
    /// <summary>One error naming each target and why it was not used.</summary>
    public static LlmError ErrorFor(LlmExchange exchange, DateTimeOffset now)
    {
        var attempts = exchange.Attempts;
        var message = $"No target of model '{exchange.Body.Model}' could answer: {string.Join("; ", exchange.Details)}.";
        if (All(attempts, AttemptOutcome.Killed))
        {
            return new LlmError(StatusCodes.Status503ServiceUnavailable, "killed", message);
        }

        if (All(attempts, AttemptOutcome.CircuitOpen))
        {
            return new LlmError(StatusCodes.Status503ServiceUnavailable, "circuit_open", message, exchange.RetryAt is { } at ? Until(at) : null);
        }

        if (attempts.All(a => a.Outcome is AttemptOutcome.Throttled or AttemptOutcome.RateLimited))
        {
            return new LlmError(StatusCodes.Status429TooManyRequests, "upstream_rate_limited", message, exchange.RetryAt is { } at ? Until(at) : null);
        }

        return All(attempts, AttemptOutcome.Timeout)
            ? new LlmError(StatusCodes.Status504GatewayTimeout, "upstream_timeout", message)
            : new LlmError(StatusCodes.Status502BadGateway, "upstream_unavailable", message);

        TimeSpan Until(DateTimeOffset at) => at - now;
    }

    public static string AuditStatusFor(LlmExchange exchange)
    {
        var attempts = exchange.Attempts;
        return All(attempts, AttemptOutcome.Killed) ? AuditStatus.Killed
            : All(attempts, AttemptOutcome.CircuitOpen) ? AuditStatus.CircuitOpen
            : attempts.All(a => a.Outcome is AttemptOutcome.Throttled or AttemptOutcome.RateLimited) ? AuditStatus.RateLimited
            : All(attempts, AttemptOutcome.Timeout) ? AuditStatus.Timeout
            : AuditStatus.BackendUnavailable;
    }

    /// <summary>The audit status of an answer that reached the client.</summary>
    public static string AuditStatusOfAnswer(LlmExchange exchange) => exchange.Outcome switch
    {
        AttemptOutcome.Ok => AuditStatus.Ok,
        AttemptOutcome.Error => AuditStatus.Error,
        _ => AuditStatus.StreamCut,
    };

    private static bool All(IReadOnlyList<Contracts.Messages.LlmAttempt> attempts, string outcome) =>
        attempts.Count > 0 && attempts.All(a => a.Outcome == outcome);
}
