namespace Gateway.AuditService.Tests.EndToEnd;

/// <summary>
/// One audit system (SQLite store) started for the whole <see cref="EndToEndTests"/>: a start costs about 35 s
/// on this machine. Tests run one at a time on it, each with its own client id, so no test sees another's events; a
/// test that kills or restarts a process leaves it to the next one to find the system healthy again.
/// </summary>
public sealed class SharedAuditSystem : IAsyncLifetime
{
    private AuditSystem? _system;

    internal AuditSystem System => _system ?? throw new InvalidOperationException("The audit system has not started.");

    public async Task InitializeAsync() => _system = await AuditSystem.StartAsync();

    public async Task DisposeAsync()
    {
        if (_system is not null)
        {
            await _system.DisposeAsync();
        }
    }
}
