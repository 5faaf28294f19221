using System.Text.Json;

namespace Gateway.Proxy.Pipeline;

/// <summary>Who is calling, as established by authentication.</summary>
/// <param name="ClientId">Configured client id, or the anonymous client id.</param>
/// <param name="Roles">Roles from configuration.</param>
/// <param name="IsAnonymous">True when no API key was presented and anonymous access is configured.</param>
/// <param name="User">The user an OAuth token was issued for (its subject); null for API keys.</param>
public sealed record ClientIdentity(string ClientId, IReadOnlyList<string> Roles, bool IsAnonymous, string? User = null)
{
    /// <summary>Whether <paramref name="other"/> is the same caller: same client and same user (a session is theirs alone).</summary>
    public bool IsSameCaller(ClientIdentity other) =>
        other is not null && string.Equals(ClientId, other.ClientId, StringComparison.Ordinal) && string.Equals(User, other.User, StringComparison.Ordinal);
}

/// <summary>What kind of item a call targets; RBAC patterns are per kind.</summary>
public enum CatalogItemKind
{
    None,
    Tool,
    Resource,
    Prompt,

    /// <summary>A model on the <c>/v1</c> endpoints.</summary>
    Model,
}

/// <summary>
/// One routed call (<c>tools/call</c>, <c>resources/read</c>, <c>prompts/get</c>, <c>completion/complete</c>) on its
/// way through the pipeline. Created by the MCP front end, filled in by the stages, turned into an audit event.
/// </summary>
public sealed class CallContext
{
    public required string Method { get; init; }

    public required ClientIdentity Client { get; init; }

    /// <summary>The name the client used: the gateway-visible tool or prompt name, or the resource URI.</summary>
    public string? Target { get; init; }

    public CatalogItemKind TargetKind { get; init; }

    /// <summary>The owning backend, resolved from the catalog before the pipeline runs (null when unknown).</summary>
    public string? Backend { get; init; }

    /// <summary>JSON-RPC id as text.</summary>
    public string? RequestId { get; init; }

    public string? SessionId { get; init; }

    /// <summary>The call's arguments (tool arguments, prompt arguments); hashed for audit.</summary>
    public JsonElement? Arguments { get; init; }

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp of receipt, for latency.</summary>
    public long StartedAt { get; init; } = System.Diagnostics.Stopwatch.GetTimestamp();
}

/// <summary>
/// What the backend answered. <see cref="BackendFailed"/> is set for failures that count against the backend's
/// breaker (transport error, timeout, 5xx, unparseable answer); a JSON-RPC error the backend chose to send is not one.
/// </summary>
/// <param name="Response">The JSON-RPC <c>result</c> (or <c>error</c>) object, serialized, ready to relay.</param>
/// <param name="IsError">True when <paramref name="Response"/> is a JSON-RPC error object.</param>
/// <param name="ErrorCode">The JSON-RPC error code when <paramref name="IsError"/>.</param>
/// <param name="BackendFailed">True when the breaker should count this as a failure.</param>
/// <param name="FailureKind">Short failure type for the breaker and audit: <c>timeout</c>, <c>transport</c>, <c>protocol</c>.</param>
/// <param name="FailureMessage">Human-readable failure detail.</param>
public readonly record struct BackendResult(
    ReadOnlyMemory<byte> Response,
    bool IsError,
    int? ErrorCode,
    bool BackendFailed,
    string? FailureKind = null,
    string? FailureMessage = null);

/// <summary>The backend call the pipeline wraps; invoked at most once, only if every stage allowed the call.</summary>
public delegate ValueTask<BackendResult> BackendCall(CancellationToken cancellationToken);
