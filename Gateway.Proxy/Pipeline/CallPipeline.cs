using System.Collections.Frozen;
using System.Globalization;
using System.Runtime.CompilerServices;
using Gateway.Contracts;
using Gateway.Contracts.Configuration;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Circuit;
using Gateway.Proxy.Pipeline.Access;
using Gateway.Proxy.Pipeline.KillSwitches;
using Gateway.Proxy.Pipeline.RateLimiting;
using Gateway.Proxy.Pipeline.Shutdown;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Pipeline;

/// <summary>
/// The enforcement pipeline, in its fixed order: kill switch → rate limit → RBAC → circuit gate → backend call
/// (with the backend's timeout) → outcome (breaker, audit event). Authentication runs before it, at the transport
/// edge, and produces <see cref="CallContext.Client"/>. Every call, allowed or refused, leaves one audit event.
/// </summary>
/// <remarks>
/// The order is deliberate: a killed call spends no rate-limit token, a rate-limited call reveals nothing about
/// what the client may use, and only calls the client may make reach (and count against) the backend's breaker.
/// </remarks>
public sealed class CallPipeline : IDisposable
{
    private readonly KillSwitchState _killSwitches;
    private readonly CallRateLimiter _rateLimiter;
    private readonly AccessPolicy _access;
    private readonly CircuitBreakerRegistry _circuits;
    private readonly AuditRecorder _audit;
    private readonly InFlightCalls _inFlight;
    private readonly TimeProvider _time;
    private readonly IDisposable? _subscription;
    private volatile FrozenDictionary<string, TimeSpan> _timeouts;

    public CallPipeline(
        KillSwitchState killSwitches,
        CallRateLimiter rateLimiter,
        AccessPolicy access,
        CircuitBreakerRegistry circuits,
        AuditRecorder audit,
        InFlightCalls inFlight,
        IOptionsMonitor<GatewayOptions> options,
        TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _killSwitches = killSwitches;
        _rateLimiter = rateLimiter;
        _access = access;
        _circuits = circuits;
        _audit = audit;
        _inFlight = inFlight;
        _time = time;
        _timeouts = IndexTimeouts(options.CurrentValue);
        _subscription = options.OnChange(o => _timeouts = IndexTimeouts(o));
    }

    /// <summary>
    /// Runs the call through every stage. A refusal is returned as a JSON-RPC error result
    /// (<see cref="BackendResult.IsError"/>) without invoking <paramref name="backendCall"/>.
    /// </summary>
    /// <remarks>
    /// This and <see cref="CallAsync"/> finish asynchronously on every proxied call, so their state machines come
    /// from a pool instead of being allocated (about 700 bytes a call); the returned task must be awaited once.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<BackendResult> InvokeAsync(CallContext context, BackendCall backendCall, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(backendCall);
        var backend = context.Backend
            ?? throw new ArgumentException("A routed call names its backend; unknown names go to RefuseUnknownAsync.", nameof(context));
        if (!_inFlight.TryEnter())
        {
            return RefuseShuttingDown(context);
        }

        try
        {
            if (await RefuseBeforeBackendAsync(context) is { } refused)
            {
                return refused;
            }

            using var permit = await _circuits.AcquirePermitAsync(backend, cancellationToken);
            if (permit.Kind == PermitKind.Rejected)
            {
                return RefuseCircuitOpen(context, backend, permit.Rejection);
            }

            var result = await CallAsync(context, backend, backendCall, cancellationToken);
            if (result.BackendFailed)
            {
                permit.Failure(result.FailureKind ?? "transport", result.FailureMessage ?? "backend call failed");
            }
            else
            {
                permit.Success();
            }

            return Complete(context, result);
        }
        finally
        {
            _inFlight.Exit();
        }
    }

    /// <summary>
    /// A call naming nothing any backend offers (<see cref="CallContext.Backend"/> is null). It passes the stages
    /// that need no backend (kill switch, rate limit, RBAC) like every call, so unknown names spend the client's
    /// tokens, and a name the client's roles do not cover is forbidden whether or not it exists (a hidden item cannot
    /// be told from a missing one). Past them, <paramref name="unknown"/> is the answer, audited as refused with
    /// status <c>unknown_target</c>.
    /// </summary>
    public async ValueTask<BackendResult> RefuseUnknownAsync(CallContext context, BackendResult unknown)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_inFlight.TryEnter())
        {
            return RefuseShuttingDown(context);
        }

        try
        {
            if (await RefuseBeforeBackendAsync(context) is { } refused)
            {
                return refused;
            }

            _audit.RecordCall(context, AuditDecision.Refused, AuditStatus.UnknownTarget, unknown.IsError ? unknown.ErrorCode : null,
                unknown.Response.Length, $"No backend offers {Describe(context)}.");
            return unknown;
        }
        finally
        {
            _inFlight.Exit();
        }
    }

    /// <summary>Whether <paramref name="client"/> may see (and so call) the named catalog item; used to filter lists.</summary>
    public bool IsVisible(ClientIdentity client, CatalogItemKind kind, string name) =>
        kind != CatalogItemKind.None && _access.IsAllowed(client, kind, name);

    public void Dispose() => _subscription?.Dispose();

    /// <summary>The stages before the backend, in order: kill switch, rate limit, RBAC. Null when all three admit the call.</summary>
    private async ValueTask<BackendResult?> RefuseBeforeBackendAsync(CallContext context)
    {
        if (_killSwitches.Current.Find(context.Backend, context.TargetKind == CatalogItemKind.Tool ? context.Target : null) is { } killSwitch)
        {
            return RefuseKilled(context, killSwitch);
        }

        var verdict = await _rateLimiter.AcquireAsync(context.Client.ClientId, context.Target);
        if (!verdict.Allowed)
        {
            return RefuseRateLimited(context, verdict);
        }

        if (!_access.IsAllowed(context.Client, context.TargetKind, context.Target))
        {
            return Refuse(context, AuditStatus.Forbidden, GatewayErrorCodes.Forbidden,
                $"Client '{context.Client.ClientId}' may not use {Describe(context)}.", null);
        }

        return null;
    }

    /// <summary>Invokes the backend under its timeout; timeouts and transport exceptions become failed results.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<BackendResult> CallAsync(CallContext context, string backend, BackendCall backendCall, CancellationToken cancellationToken)
    {
        var timeout = _timeouts.TryGetValue(backend, out var configured) ? configured : new BackendOptions().Timeout;
        // The caller's cancellation is forwarded by a registration instead of a linked source: one allocation fewer
        // per call, and the timer source alone tells a timeout from a cancellation below.
        using var timer = new CancellationTokenSource(timeout, _time);
        using var forwarded = cancellationToken.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), timer);
        try
        {
            return await backendCall(timer.Token);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return TimedOut(backend, timeout);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away: nothing to answer, but the decision was made and is audited.
            _audit.RecordCall(context, AuditDecision.Allowed, AuditStatus.Cancelled, null, 0, "cancelled by the caller");
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Unreachable(backend, ex);
        }
    }

    private static BackendResult TimedOut(string backend, TimeSpan timeout)
    {
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Backend '{backend}' did not answer within {timeout.TotalMilliseconds:0} ms.");
        return JsonRpcError.Refusal(GatewayErrorCodes.BackendTimeout, message, data =>
            {
                data.WriteString("backend", backend);
                data.WriteNumber("timeoutMs", (long)timeout.TotalMilliseconds);
            }) with
        { BackendFailed = true, FailureKind = "timeout", FailureMessage = message };
    }

    private static BackendResult Unreachable(string backend, Exception exception)
    {
        var message = $"Backend '{backend}' could not be reached: {exception.Message}";
        return JsonRpcError.Refusal(GatewayErrorCodes.BackendUnavailable, message, data => data.WriteString("backend", backend)) with
        { BackendFailed = true, FailureKind = "transport", FailureMessage = exception.Message };
    }

    private BackendResult RefuseShuttingDown(CallContext context) =>
        Refuse(context, AuditStatus.ShuttingDown, GatewayErrorCodes.ShuttingDown,
            "The gateway is shutting down and accepts no new calls; retry on another replica.", null);

    private BackendResult RefuseKilled(CallContext context, KillSwitch killSwitch) =>
        Refuse(context, AuditStatus.Killed, GatewayErrorCodes.Killed, $"Call refused by {killSwitch.Describe()}.", data =>
        {
            data.WriteString("scope", killSwitch.Scope.ToString().ToLowerInvariant());
            data.WriteString("name", killSwitch.Name);
            data.WriteString("reason", killSwitch.Reason);
        });

    private BackendResult RefuseRateLimited(CallContext context, RateLimitVerdict verdict)
    {
        var retryAfterMs = (long)Math.Ceiling(verdict.RetryAfter.TotalMilliseconds);
        var bucket = verdict.Bucket == RateLimitBucket.Tool ? "tool" : "client";
        return Refuse(context, AuditStatus.RateLimited, GatewayErrorCodes.RateLimited,
            string.Create(CultureInfo.InvariantCulture, $"Rate limit exceeded ({bucket}); retry after {retryAfterMs} ms."),
            data =>
            {
                data.WriteNumber("retryAfterMs", retryAfterMs);
                data.WriteString("bucket", bucket);
            });
    }

    private BackendResult RefuseCircuitOpen(CallContext context, string backend, CircuitOpenRejection? rejection) =>
        Refuse(context, AuditStatus.CircuitOpen, GatewayErrorCodes.CircuitOpen,
            $"Circuit open for backend '{backend}': the call was not sent.",
            data =>
            {
                data.WriteString("backend", backend);
                data.WriteString("reason", rejection?.Reason);
                data.WriteNumber("tripCount", rejection?.TripCount ?? 0);
                if (rejection?.RetryAfter is { } retryAt)
                {
                    data.WriteString("retryAfter", retryAt);
                }
            });

    private BackendResult Complete(CallContext context, BackendResult result)
    {
        var status = (result.BackendFailed, result.IsError, result.FailureKind) switch
        {
            (true, _, "timeout") => AuditStatus.Timeout,
            (true, _, _) => AuditStatus.BackendUnavailable,
            (false, true, _) => AuditStatus.Error,
            _ => AuditStatus.Ok,
        };
        _audit.RecordCall(context, AuditDecision.Allowed, status, result.IsError ? result.ErrorCode : null,
            result.Response.Length, result.BackendFailed ? result.FailureMessage : null);
        return result;
    }

    private BackendResult Refuse(CallContext context, string status, int code, string message, Action<System.Text.Json.Utf8JsonWriter>? data)
    {
        var result = JsonRpcError.Refusal(code, message, data);
        _audit.RecordCall(context, AuditDecision.Refused, status, code, result.Response.Length, message);
        return result;
    }

    private static string Describe(CallContext context) => context.TargetKind switch
    {
        CatalogItemKind.Tool => $"tool '{context.Target}'",
        CatalogItemKind.Resource => $"resource '{context.Target}'",
        CatalogItemKind.Prompt => $"prompt '{context.Target}'",
        _ => $"'{context.Method}'",
    };

    private static FrozenDictionary<string, TimeSpan> IndexTimeouts(GatewayOptions options) =>
        options.Backends
            .GroupBy(b => b.Name, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.First().Timeout, StringComparer.Ordinal);
}
