namespace Gateway.HealthMonitor.Leadership;

/// <summary>Whether this monitor replica currently holds the leader lease. Only the leader decides and publishes transitions.</summary>
public sealed class LeadershipState(string instanceId)
{
    private volatile bool _isLeader;

    public string InstanceId { get; } = instanceId;

    public bool IsLeader => _isLeader;

    /// <summary>When this replica last became leader or stepped down.</summary>
    public DateTimeOffset? ChangedAt { get; private set; }

    internal void Set(bool isLeader, DateTimeOffset at)
    {
        _isLeader = isLeader;
        ChangedAt = at;
    }
}
