using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>One engaged kill switch: what it stops, who engaged it, why and when.</summary>
/// <param name="Scope">Global, one backend, tool, provider or model.</param>
/// <param name="Name">Backend, tool, provider or model name; empty for <see cref="KillSwitchScope.Global"/>.</param>
/// <param name="Actor">Client id of the admin who engaged it.</param>
/// <param name="Reason">Free text given by the admin.</param>
/// <param name="At">When it was engaged.</param>
public sealed record KillSwitch(KillSwitchScope Scope, string Name, string Actor, string? Reason, DateTimeOffset At)
{
    /// <summary>Human-readable description used in refusal messages, e.g. <c>tool 'echo'</c>.</summary>
    public string Describe() => Scope switch
    {
        KillSwitchScope.Global => "the global kill switch",
        KillSwitchScope.Backend => $"the kill switch of backend '{Name}'",
        KillSwitchScope.Provider => $"the kill switch of provider '{Name}'",
        KillSwitchScope.Model => $"the kill switch of model '{Name}'",
        _ => $"the kill switch of tool '{Name}'",
    };

    /// <summary>The audit event's <c>Target</c> for a switch of <paramref name="scope"/>: the tool or model name.</summary>
    public static string? AuditTarget(KillSwitchScope scope, string name) => scope is KillSwitchScope.Tool or KillSwitchScope.Model ? name : null;

    /// <summary>The audit event's <c>Backend</c> for a switch of <paramref name="scope"/>: the backend or provider name.</summary>
    public static string? AuditBackend(KillSwitchScope scope, string name) => scope is KillSwitchScope.Backend or KillSwitchScope.Provider ? name : null;
}
