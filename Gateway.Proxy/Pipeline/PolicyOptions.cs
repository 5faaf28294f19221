namespace Gateway.Proxy.Pipeline;

/// <summary>Whether the policy stages run, bound from <c>Gateway:Policies</c> and re-read on every call.</summary>
public sealed class PolicyOptions
{
    public const string SectionName = "Gateway:Policies";

    /// <summary>
    /// When false, every call passes the kill switch, rate limit, token budget and RBAC unchecked, and lists show every
    /// item: only the circuit gate, the backend timeout and the audit event remain. Meant for measuring what the
    /// policies cost (the <c>gateway-policies-off</c> target of <c>bench/run tools-call</c>) and for a gateway whose
    /// every client is trusted; never for a gateway exposed to clients it has to restrict. Default: true.
    /// </summary>
    public bool Enabled { get; set; } = true;
}
