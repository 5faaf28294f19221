using System.Globalization;
using Gateway.Proxy.Pipeline.Access;
using Gateway.Proxy.Pipeline.KillSwitches;
using Gateway.Proxy.Pipeline.RateLimiting;
using Gateway.Proxy.Pipeline.TokenBudgets;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Pipeline;

/// <summary>
/// The stages every call passes before its target is chosen, in their fixed order: kill switch → rate limit (and,
/// for models, the token budget) → RBAC. Shared by the MCP and LLM transports; a refusal is typed and each
/// transport renders and audits it.
/// </summary>
/// <remarks>
/// The order is deliberate: a killed call spends no rate-limit token, a rate-limited call reveals nothing about
/// what the client may use, and only calls the client may make reach (and count against) a breaker.
/// With <see cref="PolicyOptions.Enabled"/> false no stage runs and every item is visible.
/// </remarks>
public sealed class PolicyStages(KillSwitchState killSwitches, CallRateLimiter rateLimiter, TokenBudget tokens, AccessPolicy access,
    IOptionsMonitor<PolicyOptions> options)
{
    /// <summary>Null when every stage admits the call.</summary>
    public ValueTask<Refusal?> CheckAsync(CallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!options.CurrentValue.Enabled)
        {
            return default;
        }

        var snapshot = killSwitches.Current;
        var killSwitch = context.TargetKind == CatalogItemKind.Model
            ? snapshot.FindModel(context.Target!)
            : snapshot.Find(context.Backend, context.TargetKind == CatalogItemKind.Tool ? context.Target : null);
        if (killSwitch is not null)
        {
            return new ValueTask<Refusal?>(new Refusal(RefusalKind.Killed, $"Call refused by {killSwitch.Describe()}.") { KillSwitch = killSwitch });
        }

        // Models draw on the client's request bucket only: a per-model bucket would be the tools' limit applied
        // to something else.
        var rateTarget = context.TargetKind == CatalogItemKind.Model ? null : context.Target;
        var acquire = rateLimiter.AcquireAsync(context.Client.ClientId, rateTarget);
        return acquire.IsCompletedSuccessfully
            ? AfterRateLimitAsync(context, acquire.Result)
            : AwaitRateLimitAsync(context, acquire);
    }

    private async ValueTask<Refusal?> AwaitRateLimitAsync(CallContext context, ValueTask<RateLimitVerdict> acquire) =>
        await AfterRateLimitAsync(context, await acquire);

    private ValueTask<Refusal?> AfterRateLimitAsync(CallContext context, RateLimitVerdict verdict)
    {
        if (!verdict.Allowed)
        {
            var retryAfterMs = (long)Math.Ceiling(verdict.RetryAfter.TotalMilliseconds);
            var bucket = verdict.Bucket == RateLimitBucket.Tool ? "tool" : "client";
            return new ValueTask<Refusal?>(new Refusal(RefusalKind.RateLimited,
                string.Create(CultureInfo.InvariantCulture, $"Rate limit exceeded ({bucket}); retry after {retryAfterMs} ms."))
            {
                RetryAfter = verdict.RetryAfter,
                Bucket = bucket,
            });
        }

        return context.TargetKind == CatalogItemKind.Model && tokens.IsLimited(context.Client.ClientId)
            ? CheckTokensAsync(context)
            : new ValueTask<Refusal?>(CheckAccess(context));
    }

    private async ValueTask<Refusal?> CheckTokensAsync(CallContext context)
    {
        if (await tokens.CheckAsync(context.Client.ClientId) is { } retryAfter)
        {
            return new Refusal(RefusalKind.TokenBudgetExhausted, string.Create(CultureInfo.InvariantCulture,
                $"Token budget of client '{context.Client.ClientId}' for this minute is spent; retry after {Math.Ceiling(retryAfter.TotalSeconds)} s."))
            {
                RetryAfter = retryAfter,
                Bucket = "tokens",
            };
        }

        return CheckAccess(context);
    }

    private Refusal? CheckAccess(CallContext context) =>
        access.IsAllowed(context.Client, context.TargetKind, context.Target)
            ? null
            : new Refusal(RefusalKind.Forbidden, $"Client '{context.Client.ClientId}' may not use {Describe(context)}.");

    /// <summary>Whether <paramref name="client"/> may use the item; lists show only these.</summary>
    public bool IsAllowed(ClientIdentity client, CatalogItemKind kind, string? name) =>
        !options.CurrentValue.Enabled || access.IsAllowed(client, kind, name);

    /// <summary>The target as messages name it, e.g. <c>tool 'echo'</c>.</summary>
    public static string Describe(CallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.TargetKind switch
        {
            CatalogItemKind.Tool => $"tool '{context.Target}'",
            CatalogItemKind.Resource => $"resource '{context.Target}'",
            CatalogItemKind.Prompt => $"prompt '{context.Target}'",
            CatalogItemKind.Model => $"model '{context.Target}'",
            _ => $"'{context.Method}'",
        };
    }
}
