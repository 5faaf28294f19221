namespace Gateway.Contracts.Messages;

/// <summary>Which calls a kill switch stops.</summary>
public enum KillSwitchScope
{
    Global,
    Backend,
    Tool,

    /// <summary>One LLM provider: its targets are skipped and requests fall back to the next target.</summary>
    Provider,

    /// <summary>One model, as clients name it on the <c>/v1</c> endpoints.</summary>
    Model,
}

/// <summary>
/// A kill switch was engaged or released. The switch itself is stored in Redis (so it survives restarts);
/// this message only tells every replica to apply it now instead of at its next refresh.
/// </summary>
/// <param name="Scope">Global, one backend, tool, provider or model.</param>
/// <param name="Name">Backend, tool, provider or model name; empty for global.</param>
/// <param name="Engaged">True when calls are now refused.</param>
/// <param name="Actor">The admin client id that made the change.</param>
/// <param name="Reason">Free text given by the admin.</param>
/// <param name="At">When the change was made.</param>
public sealed record KillSwitchChanged(
    KillSwitchScope Scope,
    string Name,
    bool Engaged,
    string Actor,
    string? Reason,
    DateTimeOffset At);
