namespace Gateway.AppHost.Orchestration;

public enum ResourceState
{
    /// <summary>Declared, not started.</summary>
    Pending,

    /// <summary>Waiting for the resources it waits for to be healthy.</summary>
    Waiting,

    /// <summary>Preparing (build, tool restore, initdb) or launched and not yet healthy.</summary>
    Starting,

    Running,

    /// <summary>Exited unexpectedly; will be started again after a back-off.</summary>
    Restarting,

    Stopping,

    Stopped,

    /// <summary>Preparation failed; it will not be started again.</summary>
    Failed,
}

public enum HealthState
{
    Unknown,
    Healthy,
    Unhealthy,
}

/// <summary>A point-in-time view of one resource, for the dashboard, the console table and tests.</summary>
public sealed record ResourceSnapshot(
    string Name,
    string Kind,
    ResourceState State,
    HealthState Health,
    int? ProcessId,
    int Restarts,
    int? LastExitCode,
    IReadOnlyDictionary<string, string> Endpoints,
    string? ConnectionString,
    string? HealthCheck,
    string LogFile,
    IReadOnlyList<string> RecentLogs);
