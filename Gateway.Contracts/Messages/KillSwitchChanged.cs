namespace Gateway.Contracts.Messages;

/// <summary>Which calls a kill switch stops.</summary>
public enum KillSwitchScope
{
    Global,
    Backend,
    Tool,
}

/// <summary>
/// A kill switch was engaged or released. The switch itself is stored in Redis (so it survives restarts);
/// this message only tells every replica to apply it now instead of at its next refresh.
/// </summary>
/// <param name="Scope">Global, one backend, or one tool.</param>
/// <param name="Name">Backend or tool name; empty for global.</param>
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
