using Gateway.Contracts;
using Gateway.Contracts.Circuit;
using Gateway.Contracts.Messages;
using Gateway.HealthMonitor.Breakers;
using Gateway.HealthMonitor.Leadership;
using Gateway.Authentication;

namespace Gateway.HealthMonitor.Api;

/// <summary>What <c>GET /api/backends</c> answers.</summary>
public sealed record BackendsView(string InstanceId, bool Leader, IReadOnlyList<BackendView> Backends);

/// <summary>One backend's health, breaker state, counters and recent transitions.</summary>
public sealed record BackendView(
    string Name,
    string Kind,
    bool? Healthy,
    CircuitState State,
    int FailureCount,
    int TripCount,
    string? LastError,
    DateTimeOffset? OpenUntil,
    DateTimeOffset LastTransitionAt,
    long Sequence,
    ProbeView Probes,
    PassiveView Passive,
    IReadOnlyList<CircuitStateChanged> Transitions);

public sealed record ProbeView(int ConsecutiveSuccesses, int ConsecutiveFailures, DateTimeOffset? LastProbeAt, string? LastError);

public sealed record PassiveView(long Successes, long Failures);

/// <summary>Optional body of isolate.</summary>
public sealed record IsolateRequest(string? Reason);

public static class BackendsApi
{
    /// <summary>
    /// <c>GET /api/backends</c> (auditor or admin), <c>POST /api/backends/{name}/isolate</c> and <c>/reset</c> (admin).
    /// Manual actions are decided by the leader only: a standby forwards them to the leader (503 when it cannot).
    /// </summary>
    public static IEndpointRouteBuilder MapBackendsApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var api = endpoints.MapGroup("/api/backends").RequireTrustedHost();
        api.MapGet("/", (AuthoritativeBreakers breakers, LeadershipState leadership) =>
                new BackendsView(leadership.InstanceId, leadership.IsLeader, [.. breakers.Backends.Select(Describe)]))
            .RequireAuthorization(GatewayAuth.AuditorPolicy);
        api.MapPost("/{name}/isolate", async (string name, IsolateRequest? body, HttpContext http, AuthoritativeBreakers breakers, LeadershipState leadership, LeaderForwarder forwarder) =>
                await ManualAsync(name, http, breakers, leadership, () => forwarder.ForwardAsync(http, body), (b, actor) => breakers.IsolateAsync(b, actor, body?.Reason)))
            .RequireAuthorization(GatewayAuth.AdminPolicy);
        api.MapPost("/{name}/reset", async (string name, HttpContext http, AuthoritativeBreakers breakers, LeadershipState leadership, LeaderForwarder forwarder) =>
                await ManualAsync(name, http, breakers, leadership, () => forwarder.ForwardAsync(http, body: null), breakers.ResetAsync))
            .RequireAuthorization(GatewayAuth.AdminPolicy);
        return endpoints;
    }

    private static async Task<IResult> ManualAsync(
        string name,
        HttpContext http,
        AuthoritativeBreakers breakers,
        LeadershipState leadership,
        Func<Task<IResult>> forwardToLeader,
        Func<MonitoredBackend, string, Task<CircuitStateChanged?>> action)
    {
        if (!breakers.TryGet(name, out var backend))
        {
            return Results.Json(Error(GatewayErrorCodes.InvalidParams, $"unknown backend '{name}'"), statusCode: StatusCodes.Status404NotFound);
        }

        if (!leadership.IsLeader)
        {
            return await forwardToLeader();
        }

        var actor = http.User.GetClientId() ?? "unknown";
        await action(backend, actor);
        return Results.Ok(Describe(backend));
    }

    private static BackendView Describe(MonitoredBackend backend)
    {
        lock (backend.Gate)
        {
            var machine = backend.Machine;
            return new BackendView(
                backend.Name,
                backend.Kind,
                backend.Healthy,
                machine.State,
                machine.ConsecutiveFailures,
                machine.TripCount,
                machine.LastError,
                machine.OpenUntil,
                machine.LastTransitionAt,
                backend.CircuitSequence,
                new ProbeView(backend.ConsecutiveProbeSuccesses, backend.ConsecutiveProbeFailures, backend.LastProbeAt, backend.LastProbeError),
                new PassiveView(backend.PassiveSuccesses, backend.PassiveFailures),
                backend.History());
        }
    }

    private static object Error(int code, string message) => new { error = new { code, message } };
}
