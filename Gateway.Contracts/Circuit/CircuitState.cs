namespace Gateway.Contracts.Circuit;

/// <summary>The states of a backend's circuit breaker.</summary>
public enum CircuitState
{
    /// <summary>Calls flow; failures are counted.</summary>
    Closed,

    /// <summary>Calls are refused until the break duration has passed.</summary>
    Open,

    /// <summary>One probe call is let through; its result decides Closed or Open.</summary>
    HalfOpen,

    /// <summary>Isolated by an operator; only a manual reset leaves this state.</summary>
    Isolated,
}
