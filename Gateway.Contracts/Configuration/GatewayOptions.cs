using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gateway.Contracts.Configuration;

/// <summary>
/// The gateway's own settings, shared by every service. Bound from the <c>Gateway</c> section, which by default
/// comes from <c>gateway.json</c> (path in <c>Gateway:ConfigFile</c>), reloaded when the file changes.
/// The attributes here are the per-field rules, nested items included; <see cref="GatewayOptionsValidator"/> checks
/// them and the rules that span fields or items.
/// </summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>Roles every service knows without a <see cref="Roles"/> entry: admin APIs and audit read.</summary>
    public static readonly IReadOnlyList<string> BuiltInRoles = ["admin", "auditor"];

    /// <summary>MCP servers the proxy fronts, by name.</summary>
    [ValidateEnumeratedItems]
    public List<BackendOptions> Backends { get; set; } = [];

    /// <summary>LLM providers behind the <c>/v1</c> endpoints, by name.</summary>
    [ValidateEnumeratedItems]
    public List<ProviderOptions> Providers { get; set; } = [];

    /// <summary>Models clients may ask for on the <c>/v1</c> endpoints, each routed to ordered provider targets.</summary>
    [ValidateEnumeratedItems]
    public List<ModelOptions> Models { get; set; } = [];

    /// <summary>Clients that may call the gateway, each with an API key hash and roles.</summary>
    [ValidateEnumeratedItems]
    public List<ClientOptions> Clients { get; set; } = [];

    /// <summary>OAuth 2.1 resource server: the gateway's resource URI and the authorization servers it trusts. Default: off (API keys only).</summary>
    [Required, ValidateObjectMembers]
    public OAuthOptions OAuth { get; set; } = new();

    /// <summary>Role name to what it may use. Built-in roles: <c>admin</c> (everything, plus admin APIs), <c>auditor</c> (audit read).</summary>
    public Dictionary<string, RoleOptions> Roles { get; set; } = new(StringComparer.Ordinal);

    /// <summary>When set, unauthenticated calls are accepted as this client id with <see cref="AnonymousRoles"/>. Default: none (401).</summary>
    [RegularExpression(ClientOptions.IdPattern)]
    public string? AnonymousClientId { get; set; }

    /// <summary>Roles given to anonymous callers when <see cref="AnonymousClientId"/> is set.</summary>
    public List<string> AnonymousRoles { get; set; } = [];

    /// <summary>Token-bucket limits.</summary>
    [Required, ValidateObjectMembers]
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Breaker thresholds used by every backend that does not set its own.</summary>
    [Required, ValidateObjectMembers]
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

/// <summary>How a backend's tool and prompt names are shown to clients.</summary>
public enum BackendNaming
{
    /// <summary>
    /// Bare names. A name another backend already shows keeps its owner; this backend's copy is shown as
    /// <c>{backend}__{name}</c>. Names never change owner while their owner keeps listing them.
    /// </summary>
    Auto,

    /// <summary>Every name shown as <c>{prefix}__{name}</c>, the prefix being <see cref="BackendOptions.Prefix"/> or else the backend's name.</summary>
    Prefixed,
}

/// <summary>One MCP server behind the gateway.</summary>
public sealed class BackendOptions
{
    /// <summary>Letters, digits, <c>_</c> and <c>-</c>; at most 48.</summary>
    public const string NamePattern = "^[a-zA-Z0-9_-]{1,48}$";

    /// <summary>Unique name; used in routing, breaker state, audit and the admin APIs.</summary>
    [Required, RegularExpression(NamePattern)]
    public string Name { get; set; } = "";

    /// <summary>Transport. Default: <see cref="BackendTransport.Http"/>.</summary>
    [EnumDataType(typeof(BackendTransport), ErrorMessage = "The field {0} must be Http or Stdio.")]
    public BackendTransport Transport { get; set; } = BackendTransport.Http;

    /// <summary>Streamable HTTP endpoint, absolute http(s); required for <see cref="BackendTransport.Http"/>.</summary>
    public Uri? Url { get; set; }

    /// <summary>Executable; required for <see cref="BackendTransport.Stdio"/>.</summary>
    public string? Command { get; set; }

    /// <summary>Arguments of <see cref="Command"/>.</summary>
    public List<string> Args { get; set; } = [];

    /// <summary>
    /// Environment for <see cref="Command"/>: these variables, plus the few a process needs to run (<c>PATH</c>,
    /// <c>HOME</c>, locale, temp folder, ...). Nothing else of the proxy's environment is passed on.
    /// </summary>
    public Dictionary<string, string> Env { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Names of the proxy's environment variables this backend may see as well (e.g. a token it needs). Default: none.</summary>
    public List<string> InheritEnv { get; set; } = [];

    /// <summary>Working directory for <see cref="Command"/>. Default: the proxy's.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>
    /// Prefix put before every one of this backend's tool and prompt names (<c>{prefix}__{name}</c>). Default: none:
    /// see <see cref="Naming"/>.
    /// </summary>
    [RegularExpression("^[a-zA-Z0-9_-]{0,32}$")]
    public string? Prefix { get; set; }

    /// <summary>
    /// How this backend's tool and prompt names are shown. Default: <see cref="BackendNaming.Auto"/> (bare names; a name
    /// another backend already shows gets this backend's name as prefix). A <see cref="Prefix"/> implies
    /// <see cref="BackendNaming.Prefixed"/>.
    /// </summary>
    [EnumDataType(typeof(BackendNaming), ErrorMessage = "The field {0} must be Auto or Prefixed.")]
    public BackendNaming Naming { get; set; } = BackendNaming.Auto;

    /// <summary>Per-call timeout, 10 ms to 1 h. Default: 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether the backend keeps no per-session state, so one backend session can serve every client. Default: false.</summary>
    public bool Stateless { get; set; }

    /// <summary>HTTP path probed by the health monitor instead of an MCP <c>ping</c>, e.g. <c>/health</c>. Default: none (MCP ping).</summary>
    [RegularExpression(@"^/\S*$")]
    public string? HealthPath { get; set; }

    /// <summary>Breaker thresholds for this backend; unset values fall back to <see cref="GatewayOptions.CircuitBreaker"/>.</summary>
    [ValidateObjectMembers]
    public CircuitBreakerOptions? CircuitBreaker { get; set; }

    /// <summary>The gateway's credential toward this backend (Http backends). Default: none. A client's token is never forwarded.</summary>
    [ValidateObjectMembers]
    public BackendCredentialOptions? Credential { get; set; }
}

/// <summary>A caller of the gateway.</summary>
public sealed class ClientOptions
{
    /// <summary>Letters, digits and <c>_ - . @ :</c>; at most 128. Client ids end up in audit records and rate-limit keys.</summary>
    public const string IdPattern = "^[a-zA-Z0-9_.@:-]{1,128}$";

    /// <summary>Unique client id used in audit and rate limits.</summary>
    [Required, RegularExpression(IdPattern)]
    public string Id { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the API key, unique among clients. The key itself is never stored.</summary>
    [Required, RegularExpression("^[0-9a-f]{64}$")]
    public string KeySha256 { get; set; } = "";

    /// <summary>Roles of this client: each a <see cref="GatewayOptions.Roles"/> key or one of <see cref="GatewayOptions.BuiltInRoles"/>.</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>This client's LLM token budget per minute, 1 to 10^12. Default: <see cref="RateLimitOptions.ClientTokensPerMinute"/>.</summary>
    [Range(1, 1_000_000_000_000)]
    public long? TokensPerMinute { get; set; }
}

/// <summary>
/// What a role may use. Patterns are globs (<c>*</c> any run, <c>?</c> one character) over the names clients see:
/// 1 to 256 characters, no whitespace or control characters.
/// </summary>
public sealed class RoleOptions
{
    /// <summary>Letters, digits and <c>_ - .</c>; at most 64. Applies to the role's key in <see cref="GatewayOptions.Roles"/>.</summary>
    public const string NamePattern = "^[a-zA-Z0-9_.-]{1,64}$";

    public List<string> Tools { get; set; } = [];

    public List<string> Resources { get; set; } = [];

    public List<string> Prompts { get; set; } = [];

    /// <summary>Models (as clients name them) the role may use on the <c>/v1</c> endpoints.</summary>
    public List<string> Models { get; set; } = [];
}

/// <summary>Token-bucket rate limits, shared across replicas through Redis.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Calls per second each client may sustain, 0.001 to 1 000 000. Default: 50.</summary>
    [Range(0.001, 1_000_000)]
    public double ClientPerSecond { get; set; } = 50;

    /// <summary>Burst each client may spend at once, 1 to 1 000 000. Default: 100.</summary>
    [Range(1, 1_000_000)]
    public int ClientBurst { get; set; } = 100;

    /// <summary>Calls per second each (client, tool) pair may sustain, 0.001 to 1 000 000. Default: 20.</summary>
    [Range(0.001, 1_000_000)]
    public double ToolPerSecond { get; set; } = 20;

    /// <summary>Burst for each (client, tool) pair, 1 to 1 000 000. Default: 40.</summary>
    [Range(1, 1_000_000)]
    public int ToolBurst { get; set; } = 40;

    /// <summary>
    /// LLM tokens (input plus output, as providers report them) each client may use per minute, 1 to 10^12; a
    /// client's own <see cref="ClientOptions.TokensPerMinute"/> wins. Default: none (no token budget).
    /// </summary>
    [Range(1, 1_000_000_000_000)]
    public long? ClientTokensPerMinute { get; set; }
}

/// <summary>
/// Breaker thresholds. Every property is nullable so a backend can override only some; <see cref="Resolve"/>
/// fills the rest from the defaults documented on each property.
/// </summary>
public sealed class CircuitBreakerOptions
{
    /// <summary>Consecutive failures that open the circuit, 1 to 10 000. Default: 5.</summary>
    [Range(1, 10_000)]
    public int? ConsecutiveFailures { get; set; }

    /// <summary>Failure ratio over the sampling window that opens the circuit, 0.01 to 1. Default: 0.5.</summary>
    [Range(0.01, 1.0)]
    public double? FailureRatio { get; set; }

    /// <summary>Calls needed in the sampling window before the ratio counts, 1 to 1 000 000. Default: 20.</summary>
    [Range(1, 1_000_000)]
    public int? MinimumThroughput { get; set; }

    /// <summary>Sampling window for the failure ratio, 0.5 s to 1 day (as Polly's). Default: 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "1.00:00:00")]
    public TimeSpan? SamplingDuration { get; set; }

    /// <summary>First break duration, 0.5 s to 1 day (as Polly's). Default: 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "1.00:00:00")]
    public TimeSpan? BreakDuration { get; set; }

    /// <summary>Factor applied to the break duration on each repeated trip, 1 to 100. Default: 2.</summary>
    [Range(1.0, 100.0)]
    public double? BreakDurationGrowth { get; set; }

    /// <summary>Longest break duration, 0.5 s to 1 day, and no shorter than the (resolved) first one. Default: 5 min.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "1.00:00:00")]
    public TimeSpan? MaxBreakDuration { get; set; }

    /// <summary>How long callers queued behind a half-open probe wait for its result, 10 ms to 1 h. Default: 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
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
