namespace Gateway.Proxy.Pipeline;

/// <summary>
/// The enforcement pipeline, in its fixed order: kill switch → rate limit → RBAC → circuit gate → backend call
/// (with the backend's timeout) → outcome (breaker, outcome report, audit event). Authentication runs before it,
/// at the transport edge, and produces <see cref="CallContext.Client"/>.
/// </summary>
/// <remarks>Placeholder that calls the backend directly; the pipeline stages replace this body.</remarks>
public sealed class CallPipeline
{
    /// <summary>
    /// Runs the call through every stage. A refusal is returned as a JSON-RPC error result
    /// (<see cref="BackendResult.IsError"/>) without invoking <paramref name="backendCall"/>.
    /// </summary>
    public ValueTask<BackendResult> InvokeAsync(CallContext context, BackendCall backendCall, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(backendCall);
        return backendCall(cancellationToken);
    }

    /// <summary>Whether <paramref name="client"/> may see (and so call) the named catalog item; used to filter lists.</summary>
    public bool IsVisible(ClientIdentity client, CatalogItemKind kind, string name)
    {
        ArgumentNullException.ThrowIfNull(client);
        return kind != CatalogItemKind.None && name.Length > 0;
    }
}
