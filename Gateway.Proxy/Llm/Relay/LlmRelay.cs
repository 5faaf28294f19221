using Gateway.Proxy.Circuit;
using Gateway.Proxy.Llm.Providers;
using Gateway.Proxy.Llm.Routing;
using Gateway.Proxy.Llm.Telemetry;
using Gateway.Proxy.Pipeline.KillSwitches;

namespace Gateway.Proxy.Llm.Relay;

/// <summary>
/// Tries a model's targets in order until one answers. A target is passed over, before anything reaches the client,
/// when its provider is killed, throttled after a 429 with <c>Retry-After</c>, or its circuit is open; when it
/// cannot be reached, times out before its first byte, or answers 429, 5xx or garbage. Once a byte has reached the
/// client the request is that target's: a failure after it ends the answer, it is never retried elsewhere.
/// </summary>
public sealed class LlmRelay(
    ProviderDirectory providers,
    CircuitBreakerRegistry circuits,
    KillSwitchState killSwitches,
    ProviderThrottles throttles,
    ProviderCall call,
    LlmTelemetry telemetry)
{
    /// <summary>True when a target's answer (or the client's own mistake, as a provider reported it) reached the client.</summary>
    public async Task<bool> RelayAsync(LlmExchange exchange, IReadOnlyList<RouteTarget> targets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(targets);
        for (var i = 0; i < targets.Count; i++)
        {
            var target = targets[i];
            if (await TryTargetAsync(exchange, target, cancellationToken))
            {
                return true;
            }

            if (i < targets.Count - 1)
            {
                telemetry.RecordFallback(exchange.Body.Model, target.Provider, exchange.Attempts[^1].Outcome);
            }
        }

        return false;
    }

    private async Task<bool> TryTargetAsync(LlmExchange exchange, RouteTarget target, CancellationToken cancellationToken)
    {
        if (providers.Find(target.Provider) is not { } provider)
        {
            exchange.Skipped(target, AttemptOutcome.Unavailable, detail: "not configured");
            return false;
        }

        if (killSwitches.Current.FindProvider(target.Provider) is { } killSwitch)
        {
            exchange.Skipped(target, AttemptOutcome.Killed, detail: killSwitch.Describe());
            return false;
        }

        if (throttles.HeldUntil(target.Provider) is { } until)
        {
            exchange.Skipped(target, AttemptOutcome.Throttled, retryAt: until, detail: $"out of rotation until {until:O}");
            return false;
        }

        // While the circuit is half-open this waits for the probe's result (bounded by the probe wait timeout and
        // the client's own cancellation), so one request probes and the others follow its verdict.
        using var permit = await circuits.AcquirePermitAsync(target.Provider, cancellationToken);
        if (permit.Kind == PermitKind.Rejected)
        {
            exchange.Skipped(target, AttemptOutcome.CircuitOpen, retryAt: permit.Rejection?.RetryAfter, detail: permit.Rejection?.Reason);
            return false;
        }

        return await call.TryAsync(exchange, provider, target, permit, cancellationToken);
    }
}
