namespace Gateway.Proxy.Llm.Relay;

/// <summary>What became of one provider target of a request; the audit's <c>LlmAttempt.Outcome</c>.</summary>
public static class AttemptOutcome
{
    public const string Ok = "ok";

    /// <summary>The provider answered a 4xx the request itself caused; relayed to the client.</summary>
    public const string Error = "error";

    public const string CircuitOpen = "circuit_open";
    public const string Killed = "killed";

    /// <summary>Out of rotation after a 429 with <c>Retry-After</c> (here or on another replica).</summary>
    public const string Throttled = "throttled";

    public const string RateLimited = "rate_limited";
    public const string Unavailable = "unavailable";
    public const string Timeout = "timeout";

    /// <summary>The stream broke after its first byte reached the client: never retried.</summary>
    public const string Cut = "cut";

    /// <summary>The answer was not what the API promises (garbage JSON, malformed events).</summary>
    public const string Protocol = "protocol";
}
