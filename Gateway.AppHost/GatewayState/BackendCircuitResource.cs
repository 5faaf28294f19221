namespace Gateway.AppHost.GatewayState;

/// <summary>
/// One configured MCP backend or LLM provider as the gateway sees it: a resource in the Aspire dashboard whose state
/// is its circuit breaker's (Closed, Open, HalfOpen, Isolated), fed by the health monitor, with the admin actions on
/// it as resource commands. Nothing runs: it is a view of the gateway's own state.
/// </summary>
public sealed class BackendCircuitResource(string name, string backendName, string killSwitchScope) : Resource(name)
{
    public const string ResourceTypeName = "GatewayBackend";

    /// <summary>Kill switch scope of an MCP backend, as the proxy's admin API names it.</summary>
    public const string BackendScope = "backend";

    /// <summary>Kill switch scope of an LLM provider.</summary>
    public const string ProviderScope = "provider";

    /// <summary>The backend's or provider's name in the gateway configuration, in the admin APIs and the audit log.</summary>
    public string BackendName { get; } = backendName;

    /// <summary><see cref="BackendScope"/> or <see cref="ProviderScope"/>: which of the proxy's kill switches covers it.</summary>
    public string KillSwitchScope { get; } = killSwitchScope;

    /// <summary>The proxy's admin path of this resource's kill switch: <c>/admin/kill-switches/{scope}s/{name}</c>.</summary>
    public string KillSwitchPath => $"/admin/kill-switches/{KillSwitchScope}s/{Uri.EscapeDataString(BackendName)}";
}
