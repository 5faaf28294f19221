using System.ComponentModel.DataAnnotations;

namespace Gateway.Contracts.Configuration;

/// <summary>
/// The gateway's own settings, shared by every service. Bound from the <c>Gateway</c> section, which by default
/// comes from <c>gateway.json</c> (path in <c>Gateway:ConfigFile</c>), reloaded when the file changes.
/// </summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>MCP servers the proxy fronts, by name.</summary>
    public List<BackendOptions> Backends { get; set; } = [];

    /// <summary>LLM providers behind <c>/v1/chat/completions</c>, by name.</summary>
    public List<ProviderOptions> Providers { get; set; } = [];

    /// <summary>Clients that may call the gateway, each with an API key hash and roles.</summary>
    public List<ClientOptions> Clients { get; set; } = [];

    /// <summary>Role name to what it may use. Built-in roles: <c>admin</c> (everything, plus admin APIs), <c>auditor</c> (audit read).</summary>
    public Dictionary<string, RoleOptions> Roles { get; set; } = new(StringComparer.Ordinal);

    /// <summary>When set, unauthenticated calls are accepted as this client id with <see cref="AnonymousRoles"/>. Default: none (401).</summary>
    public string? AnonymousClientId { get; set; }

    /// <summary>Roles given to anonymous callers when <see cref="AnonymousClientId"/> is set.</summary>
    public List<string> AnonymousRoles { get; set; } = [];

    /// <summary>Token-bucket limits.</summary>
    [Required]
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Breaker thresholds used by every backend that does not set its own.</summary>
    [Required]
    public CircuitBreakerOptions CircuitBreaker { get; set; } = new();

    /// <summary>Whether audit events carry the raw call arguments (otherwise only their SHA-256). Default: false.</summary>
    public bool AuditRawArguments { get; set; }
}

/// <summary>How the proxy reaches an MCP server.</summary>
public enum BackendTransport
{
    /// <summary>Streamable HTTP at <see cref="BackendOptions.Url"/>.</summary>
    Http,

    /// <summary>A child process speaking MCP over stdin/stdout.</summary>
    Stdio,
}

/// <summary>One MCP server behind the gateway.</summary>
public sealed class BackendOptions
{
    /// <summary>Unique name; used in routing, breaker state, audit and the admin APIs.</summary>
    [Required, RegularExpression("^[a-zA-Z0-9_-]{1,48}$")]
    public string Name { get; set; } = "";

    /// <summary>Transport. Default: <see cref="BackendTransport.Http"/>.</summary>
    public BackendTransport Transport { get; set; } = BackendTransport.Http;

    /// <summary>Streamable HTTP endpoint, for <see cref="BackendTransport.Http"/>.</summary>
    public Uri? Url { get; set; }

    /// <summary>Executable, for <see cref="BackendTransport.Stdio"/>.</summary>
    public string? Command { get; set; }

    /// <summary>Arguments of <see cref="Command"/>.</summary>
    public List<string> Args { get; set; } = [];

    /// <summary>Extra environment for <see cref="Command"/>.</summary>
    public Dictionary<string, string> Env { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Working directory for <see cref="Command"/>. Default: the proxy's.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>Prefix put before this backend's tool, prompt and resource-template names. Default: none (only colliding names get one).</summary>
    [RegularExpression("^[a-zA-Z0-9_-]{0,32}$")]
    public string? Prefix { get; set; }

    /// <summary>Per-call timeout. Default: 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether the backend keeps no per-session state, so one backend session can serve every client. Default: false.</summary>
    public bool Stateless { get; set; }

    /// <summary>HTTP path probed by the health monitor instead of an MCP <c>ping</c>, e.g. <c>/health</c>. Default: none (MCP ping).</summary>
    public string? HealthPath { get; set; }

    /// <summary>Breaker thresholds for this backend; unset values fall back to <see cref="GatewayOptions.CircuitBreaker"/>.</summary>
    public CircuitBreakerOptions? CircuitBreaker { get; set; }
}

/// <summary>One LLM provider behind <c>/v1/chat/completions</c> (OpenAI-compatible API).</summary>
public sealed class ProviderOptions
{
    [Required, RegularExpression("^[a-zA-Z0-9_-]{1,48}$")]
    public string Name { get; set; } = "";

    /// <summary>Base URL of the OpenAI-compatible API.</summary>
    [Required]
    public Uri? BaseUrl { get; set; }

    /// <summary>Models served by this provider; the request's <c>model</c> picks the provider.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>Name of the configuration key that holds this provider's API key (never the key itself).</summary>
    public string? ApiKeySetting { get; set; }

    /// <summary>Per-call timeout. Default: 120 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(120);

    public CircuitBreakerOptions? CircuitBreaker { get; set; }
}

/// <summary>A caller of the gateway.</summary>
public sealed class ClientOptions
{
    /// <summary>Client id used in audit and rate limits.</summary>
    [Required]
    public string Id { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the API key. The key itself is never stored.</summary>
    [Required, RegularExpression("^[0-9a-f]{64}$")]
    public string KeySha256 { get; set; } = "";

    /// <summary>Roles of this client.</summary>
    public List<string> Roles { get; set; } = [];
}

/// <summary>What a role may use. Patterns are globs (<c>*</c> any run, <c>?</c> one character) over the names clients see.</summary>
public sealed class RoleOptions
{
    public List<string> Tools { get; set; } = [];

    public List<string> Resources { get; set; } = [];

    public List<string> Prompts { get; set; } = [];
}

/// <summary>Token-bucket rate limits, shared across replicas through Redis.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Calls per second each client may sustain. Default: 50.</summary>
    [Range(0.001, 1_000_000)]
    public double ClientPerSecond { get; set; } = 50;

    /// <summary>Burst each client may spend at once. Default: 100.</summary>
    [Range(1, 1_000_000)]
    public int ClientBurst { get; set; } = 100;

    /// <summary>Calls per second each (client, tool) pair may sustain. Default: 20.</summary>
    [Range(0.001, 1_000_000)]
    public double ToolPerSecond { get; set; } = 20;

    /// <summary>Burst for each (client, tool) pair. Default: 40.</summary>
    [Range(1, 1_000_000)]
    public int ToolBurst { get; set; } = 40;
}

/// <summary>
/// Breaker thresholds. Every property is nullable so a backend can override only some; <see cref="Resolve"/>
/// fills the rest from the defaults documented on each property.
/// </summary>
public sealed class CircuitBreakerOptions
{
    /// <summary>Consecutive failures that open the circuit. Default: 5.</summary>
    [Range(1, 10_000)]
    public int? ConsecutiveFailures { get; set; }

    /// <summary>Failure ratio over the sampling window that opens the circuit. Default: 0.5.</summary>
    [Range(0.01, 1.0)]
    public double? FailureRatio { get; set; }

    /// <summary>Calls needed in the sampling window before the ratio counts. Default: 20.</summary>
    [Range(1, 1_000_000)]
    public int? MinimumThroughput { get; set; }

    /// <summary>Sampling window for the failure ratio. Default: 30 s.</summary>
    public TimeSpan? SamplingDuration { get; set; }

    /// <summary>First break duration. Default: 5 s.</summary>
    public TimeSpan? BreakDuration { get; set; }

    /// <summary>Factor applied to the break duration on each repeated trip. Default: 2.</summary>
    [Range(1.0, 100.0)]
    public double? BreakDurationGrowth { get; set; }

    /// <summary>Longest break duration. Default: 5 min.</summary>
    public TimeSpan? MaxBreakDuration { get; set; }

    /// <summary>How long callers queued behind a half-open probe wait for its result. Default: 10 s.</summary>
    public TimeSpan? ProbeWaitTimeout { get; set; }

    /// <summary>Values from this instance, falling back to <paramref name="defaults"/> and then to the documented defaults.</summary>
    public CircuitBreakerSettings Resolve(CircuitBreakerOptions? defaults = null) => new(
        ConsecutiveFailures ?? defaults?.ConsecutiveFailures ?? 5,
        FailureRatio ?? defaults?.FailureRatio ?? 0.5,
        MinimumThroughput ?? defaults?.MinimumThroughput ?? 20,
        SamplingDuration ?? defaults?.SamplingDuration ?? TimeSpan.FromSeconds(30),
        BreakDuration ?? defaults?.BreakDuration ?? TimeSpan.FromSeconds(5),
        BreakDurationGrowth ?? defaults?.BreakDurationGrowth ?? 2.0,
        MaxBreakDuration ?? defaults?.MaxBreakDuration ?? TimeSpan.FromMinutes(5),
        ProbeWaitTimeout ?? defaults?.ProbeWaitTimeout ?? TimeSpan.FromSeconds(10));
}

/// <summary>Fully resolved breaker thresholds (no optional values).</summary>
public sealed record CircuitBreakerSettings(
    int ConsecutiveFailures,
    double FailureRatio,
    int MinimumThroughput,
    TimeSpan SamplingDuration,
    TimeSpan BreakDuration,
    double BreakDurationGrowth,
    TimeSpan MaxBreakDuration,
    TimeSpan ProbeWaitTimeout)
{
    public static CircuitBreakerSettings Default { get; } = new CircuitBreakerOptions().Resolve();
}
