using System.Globalization;
using System.Text.Json;
using Gateway.Contracts;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.JsonRpc;

/// <summary>
/// Renders refusals as JSON-RPC error objects (<c>{"code":..,"message":..,"data":{..}}</c>), with the gateway's
/// codes (-32007 for an open circuit, ...). Only refusals pay for this, so the allowed path stays allocation-free.
/// </summary>
internal static class JsonRpcRefusal
{
    /// <summary>The error object for <paramref name="refusal"/>, with the data each kind carries.</summary>
    public static BackendResult Render(Refusal refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        return refusal.Kind switch
        {
            RefusalKind.ShuttingDown => Error(GatewayErrorCodes.ShuttingDown, refusal.Message),
            RefusalKind.AuditUnavailable => Error(GatewayErrorCodes.AuditUnavailable, refusal.Message),
            RefusalKind.Killed => Error(GatewayErrorCodes.Killed, refusal.Message, data =>
            {
                data.WriteString("scope", refusal.KillSwitch!.Scope.ToString().ToLowerInvariant());
                data.WriteString("name", refusal.KillSwitch.Name);
                data.WriteString("reason", refusal.KillSwitch.Reason);
            }),
            RefusalKind.RateLimited or RefusalKind.TokenBudgetExhausted => Error(GatewayErrorCodes.RateLimited, refusal.Message, data =>
            {
                data.WriteNumber("retryAfterMs", (long)Math.Ceiling(refusal.RetryAfter.GetValueOrDefault().TotalMilliseconds));
                data.WriteString("bucket", refusal.Bucket);
            }),
            RefusalKind.Forbidden => Error(GatewayErrorCodes.Forbidden, refusal.Message),
            RefusalKind.CircuitOpen => Error(GatewayErrorCodes.CircuitOpen, refusal.Message, data =>
            {
                data.WriteString("backend", refusal.Circuit?.Backend);
                data.WriteString("reason", refusal.Circuit?.Reason);
                data.WriteNumber("tripCount", refusal.Circuit?.TripCount ?? 0);
                if (refusal.Circuit?.RetryAfter is { } retryAt)
                {
                    data.WriteString("retryAfter", retryAt);
                }
            }),
            _ => Error(GatewayErrorCodes.InvalidParams, refusal.Message),
        };
    }

    /// <summary>A failed backend call that counts against its breaker: a timeout.</summary>
    public static BackendResult TimedOut(string backend, TimeSpan timeout)
    {
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Backend '{backend}' did not answer within {timeout.TotalMilliseconds:0} ms.");
        return Error(GatewayErrorCodes.BackendTimeout, message, data =>
            {
                data.WriteString("backend", backend);
                data.WriteNumber("timeoutMs", (long)timeout.TotalMilliseconds);
            }) with
        { BackendFailed = true, FailureKind = "timeout", FailureMessage = message };
    }

    /// <summary>A failed backend call that counts against its breaker: the transport failed.</summary>
    public static BackendResult Unreachable(string backend, Exception exception)
    {
        var message = $"Backend '{backend}' could not be reached: {exception.Message}";
        return Error(GatewayErrorCodes.BackendUnavailable, message, data => data.WriteString("backend", backend)) with
        { BackendFailed = true, FailureKind = "transport", FailureMessage = exception.Message };
    }

    /// <summary>The <see cref="BackendResult.FailureKind"/> of <see cref="GatewayFault"/>: reported to no breaker.</summary>
    public const string GatewayFaultKind = "gateway";

    /// <summary>The gateway failed on its own side of a call (-32603); the backend is not blamed.</summary>
    public static BackendResult GatewayFault(string backend, Exception exception) =>
        Error(GatewayErrorCodes.InternalError, $"Internal error: the gateway could not complete the call to backend '{backend}'.") with
        { FailureKind = GatewayFaultKind, FailureMessage = exception.GetType().Name + ": " + exception.Message };

    /// <summary>An error object the gateway answers itself, which counts against nothing.</summary>
    public static BackendResult Error(int code, string message, Action<Utf8JsonWriter>? writeData = null)
    {
        // Answers go to JSON clients, never into HTML: keep names like 'alpha' readable instead of \u0027alpha\u0027.
        using var scratch = ScratchJsonWriter.RentRelaxed();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        writer.WriteNumber("code", code);
        writer.WriteString("message", message);
        if (writeData is not null)
        {
            writer.WriteStartObject("data");
            writeData(writer);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();

        return new BackendResult(scratch.ToArray(), IsError: true, ErrorCode: code, BackendFailed: false);
    }
}
