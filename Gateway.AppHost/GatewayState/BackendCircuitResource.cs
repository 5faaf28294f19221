namespace Gateway.AppHost.GatewayState;

/// <summary>
/// One configured MCP backend (or LLM provider) as the gateway sees it: a resource in the Aspire dashboard whose state
/// is its circuit breaker's (Closed, Open, HalfOpen, Isolated), fed by the health monitor, with the admin actions on
/// it as resource commands. Nothing runs: it is a view of the gateway's own state.
/// </summary>
public sealed class BackendCircuitResource(string name, string backendName) : Resource(name)
{
    public const string ResourceTypeName = "GatewayBackend";

    /// <summary>The backend's name in the gateway configuration, in the admin APIs and the audit log.</summary>
    public string BackendName { get; } = backendName;
}
