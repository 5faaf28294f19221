using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using Gateway.Contracts.Configuration;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Backends;
using Gateway.Proxy.Circuit;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Pipeline;
using Gateway.Proxy.Pipeline.Shutdown;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Mcp;

/// <summary>
/// The enforcement pipeline for MCP calls, in its fixed order: the <see cref="PolicyStages"/> (kill switch → rate
/// limit → RBAC) → circuit gate → backend call (with the backend's timeout) → outcome (breaker, audit event).
/// Authentication runs before it, at the transport edge, and produces <see cref="CallContext.Client"/>. Every call,
/// allowed or refused, leaves one audit event; refusals are rendered as JSON-RPC errors.
/// </summary>
public sealed class CallPipeline : IDisposable
{
    private readonly PolicyStages _stages;
    private readonly CircuitBreakerRegistry _circuits;
    private readonly AuditRecorder _audit;
    private readonly InFlightCalls _inFlight;
    private readonly TimeProvider _time;
    private readonly IDisposable? _subscription;
    private volatile FrozenDictionary<string, TimeSpan> _timeouts;

    public CallPipeline(
        PolicyStages stages,
        CircuitBreakerRegistry circuits,
        AuditRecorder audit,
        InFlightCalls inFlight,
        IOptionsMonitor<GatewayOptions> options,
        TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _stages = stages;
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
            if (!_audit.HasRoom)
            {
                return Refuse(context, Refusal.AuditUnavailable);
            }

            if (await _stages.CheckAsync(context) is { } refused)
            {
                return Refuse(context, refused);
            }

            using var permit = await _circuits.AcquirePermitAsync(backend, cancellationToken);
            if (permit.Kind == PermitKind.Rejected)
            {
                return Refuse(context, new Refusal(RefusalKind.CircuitOpen, $"Circuit open for backend '{backend}': the call was not sent.")
                {
                    Circuit = permit.Rejection,
                });
            }

            var result = await CallAsync(context, backend, backendCall, cancellationToken);
            if (result.BackendFailed)
            {
                permit.Failure(result.FailureKind ?? "transport", result.FailureMessage ?? "backend call failed");
            }
            else if (result.FailureKind != JsonRpcRefusal.GatewayFaultKind)
            {
                // A fault of the gateway's own says nothing of the backend's health: no outcome is reported for it.
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
            if (await _stages.CheckAsync(context) is { } refused)
            {
                return Refuse(context, refused);
            }

            _audit.RecordCall(context, AuditDecision.Refused, AuditStatus.UnknownTarget, unknown.IsError ? unknown.ErrorCode : null,
                unknown.Response.Length, $"No backend offers {PolicyStages.Describe(context)}.");
            return unknown;
        }
        finally
        {
            _inFlight.Exit();
        }
    }

    /// <summary>Whether <paramref name="client"/> may see (and so call) the named catalog item; used to filter lists.</summary>
    public bool IsVisible(ClientIdentity client, CatalogItemKind kind, string name) =>
        kind != CatalogItemKind.None && _stages.IsAllowed(client, kind, name);

    public void Dispose() => _subscription?.Dispose();

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
            return JsonRpcRefusal.TimedOut(backend, timeout);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away: nothing to answer, but the decision was made and is audited.
            _audit.RecordCall(context, AuditDecision.Allowed, AuditStatus.Cancelled, null, 0, "cancelled by the caller");
            throw;
        }
        catch (Exception ex) when (ex is BackendException or HttpRequestException or IOException)
        {
            return JsonRpcRefusal.Unreachable(backend, ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Anything else was thrown by the gateway's own code on the way out (a value it could not write, ...):
            // the backend did nothing wrong, so it must not count against its breaker.
            return JsonRpcRefusal.GatewayFault(backend, ex);
        }
    }

    private BackendResult RefuseShuttingDown(CallContext context) =>
        Refuse(context, new Refusal(RefusalKind.ShuttingDown, "The gateway is shutting down and accepts no new calls; retry on another replica."));

    private BackendResult Complete(CallContext context, BackendResult result)
    {
        var status = (result.BackendFailed, result.IsError, result.FailureKind) switch
        {
            (true, _, "timeout") => AuditStatus.Timeout,
            (true, _, _) => AuditStatus.BackendUnavailable,
            (false, _, JsonRpcRefusal.GatewayFaultKind) => AuditStatus.GatewayError,
            (false, true, _) => AuditStatus.Error,
            _ => AuditStatus.Ok,
        };
        _audit.RecordCall(context, AuditDecision.Allowed, status, result.IsError ? result.ErrorCode : null,
            result.Response.Length, result.FailureMessage);
        return result;
    }

    private BackendResult Refuse(CallContext context, Refusal refusal)
    {
        var result = JsonRpcRefusal.Render(refusal);
        _audit.RecordCall(context, AuditDecision.Refused, refusal.AuditStatus, result.ErrorCode, result.Response.Length, refusal.Message);
        return result;
    }

    private static FrozenDictionary<string, TimeSpan> IndexTimeouts(GatewayOptions options) =>
        options.Backends
            .GroupBy(b => b.Name, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.First().Timeout, StringComparer.Ordinal);
}
