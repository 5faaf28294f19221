using System.Text.RegularExpressions;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Pipeline.KillSwitches;
using Gateway.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Proxy.Admin;

/// <summary>
/// <c>/admin/kill-switches</c>: list, engage (PUT) and release (DELETE) the global, per-backend and per-tool kill
/// switches. Admin role only; every change is audited with the admin's client id.
/// </summary>
public static partial class KillSwitchEndpoints
{
    public static IEndpointRouteBuilder MapKillSwitchEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/kill-switches").RequireAuthorization(GatewayAuth.AdminPolicy).RequireTrustedHost();

        group.MapGet("/", (KillSwitchState state) => TypedResults.Ok(state.Current.All.Select(View.From)));

        group.MapPut("/global", (EngageRequest? body, HttpContext http, KillSwitchCommands commands) =>
            EngageAsync(KillSwitchScope.Global, "", body, http, commands));
        group.MapDelete("/global", (HttpContext http, KillSwitchCommands commands) =>
            ReleaseAsync(KillSwitchScope.Global, "", http, commands));

        // Model names may hold '/' (as in "org/model"): a catch-all keeps a name one route value.
        foreach (var (segment, scope) in new[]
        {
            ("backends/{name}", KillSwitchScope.Backend),
            ("tools/{name}", KillSwitchScope.Tool),
            ("providers/{name}", KillSwitchScope.Provider),
            ("models/{**name}", KillSwitchScope.Model),
        })
        {
            group.MapPut(segment, (string name, EngageRequest? body, HttpContext http, KillSwitchCommands commands) =>
                EngageAsync(scope, name, body, http, commands));
            group.MapDelete(segment, (string name, HttpContext http, KillSwitchCommands commands) =>
                ReleaseAsync(scope, name, http, commands));
        }

        return app;
    }

    private static async Task<IResult> EngageAsync(KillSwitchScope scope, string name, EngageRequest? body, HttpContext http, KillSwitchCommands commands)
    {
        if (Invalid(scope, name, body?.Reason) is { } problem)
        {
            return problem;
        }

        try
        {
            var killSwitch = await commands.EngageAsync(scope, name, Actor(http), body?.Reason, http.RequestAborted);
            return TypedResults.Ok(View.From(killSwitch));
        }
        catch (KillSwitchStoreUnavailableException ex)
        {
            return StoreUnavailable(ex);
        }
    }

    private static async Task<IResult> ReleaseAsync(KillSwitchScope scope, string name, HttpContext http, KillSwitchCommands commands)
    {
        if (Invalid(scope, name, null) is { } problem)
        {
            return problem;
        }

        try
        {
            return await commands.ReleaseAsync(scope, name, Actor(http), http.RequestAborted)
                ? TypedResults.NoContent()
                : TypedResults.NotFound();
        }
        catch (KillSwitchStoreUnavailableException ex)
        {
            return StoreUnavailable(ex);
        }
    }

    /// <summary>Nothing was changed: the switch's source of truth could not be written.</summary>
    private static ProblemHttpResult StoreUnavailable(KillSwitchStoreUnavailableException ex) =>
        TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Kill-switch store unavailable");

    private static string Actor(HttpContext http) => http.User.GetClientId() ?? "unknown";

    private static ValidationProblem? Invalid(KillSwitchScope scope, string name, string? reason)
    {
        if (scope != KillSwitchScope.Global && !NamePattern().IsMatch(name))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["name"] = ["Names are 1-128 characters of letters, digits, '_', '-', '.', ':' or '/'."],
            });
        }

        return reason is { Length: > 1024 }
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["reason"] = ["At most 1024 characters."] })
            : null;
    }

    [GeneratedRegex("^[a-zA-Z0-9_./:-]{1,128}$")]
    private static partial Regex NamePattern();

    /// <summary>Body of a PUT: why the switch is engaged (optional, shown in refusals and the audit log).</summary>
    public sealed record EngageRequest(string? Reason);

    /// <summary>How a switch is shown by the admin API.</summary>
    public sealed record View(string Scope, string Name, string Actor, string? Reason, DateTimeOffset At)
    {
        public static View From(KillSwitch s) => new(s.Scope.ToString().ToLowerInvariant(), s.Name, s.Actor, s.Reason, s.At);
    }
}
