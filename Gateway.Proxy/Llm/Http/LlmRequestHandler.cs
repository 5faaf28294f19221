using System.Text.RegularExpressions;
using Gateway.Authentication;
using Gateway.Contracts.Configuration;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Llm.Errors;
using Gateway.Proxy.Llm.Relay;
using Gateway.Proxy.Llm.Requests;
using Gateway.Proxy.Llm.Routing;
using Gateway.Proxy.Llm.Telemetry;
using Gateway.Proxy.Pipeline;
using Gateway.Proxy.Pipeline.Shutdown;
using Gateway.Proxy.Pipeline.TokenBudgets;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Llm.Http;

/// <summary>
/// The <c>/v1</c> POST endpoints: authenticate → read and check the body → the pipeline's stages (kill switch, rate
/// limit and token budget, RBAC) → the model's targets through <see cref="LlmRelay"/> → one audit event, the
/// metrics and the token count. Every error is in the caller's API shape.
/// </summary>
public sealed partial class LlmRequestHandler(
    GatewayCallerAuthenticator callers,
    PolicyStages stages,
    ModelRoutes routes,
    LlmRelay relay,
    TokenBudget tokens,
    InFlightCalls inFlight,
    AuditRecorder audit,
    LlmTelemetry telemetry,
    IOptionsMonitor<LlmOptions> options,
    TimeProvider time)
{
    public async Task HandleAsync(HttpContext http, LlmOperation operation)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(operation);
        if (await LlmCaller.AuthenticateAsync(http, operation, callers, audit) is not { } client)
        {
            return;
        }

        var body = await LlmBodyReader.ReadAsync(http, options.CurrentValue.MaxRequestBytes);
        if (body is null)
        {
            await RefuseAtEdgeAsync(http, operation, client, null, new LlmError(StatusCodes.Status413PayloadTooLarge, "request_too_large",
                $"The body is larger than {options.CurrentValue.MaxRequestBytes} bytes."));
            return;
        }

        if (LlmRequestBody.TryParse(body.Value, out var invalid) is not { } request)
        {
            await RefuseAtEdgeAsync(http, operation, client, null, new LlmError(StatusCodes.Status400BadRequest, "invalid_request", invalid!));
            return;
        }

        if (!ModelName().IsMatch(request.Model))
        {
            // No configured model can have such a name; refusing it here keeps arbitrary text out of the audit event,
            // whose fields the audit service bounds.
            await RefuseAtEdgeAsync(http, operation, client, null, new LlmError(StatusCodes.Status400BadRequest, "invalid_request",
                "\"model\" is not a model name: 1 to 128 letters, digits or '_ . : / -'."));
            return;
        }

        var context = new CallContext
        {
            Method = operation.Method,
            Client = client,
            Target = request.Model,
            TargetKind = CatalogItemKind.Model,
            RequestId = http.TraceIdentifier,
        };
        if (!inFlight.TryEnter())
        {
            await RefuseAsync(http, operation, context, new Refusal(RefusalKind.ShuttingDown,
                "The gateway is shutting down and accepts no new requests; retry on another replica."));
            return;
        }

        try
        {
            if (!audit.HasRoom)
            {
                await RefuseAsync(http, operation, context, Refusal.AuditUnavailable);
                return;
            }

            await RouteAsync(http, operation, context, request);
        }
        finally
        {
            inFlight.Exit();
        }
    }

    private async Task RouteAsync(HttpContext http, LlmOperation operation, CallContext context, LlmRequestBody request)
    {
        if (await stages.CheckAsync(context) is { } refused)
        {
            await RefuseAsync(http, operation, context, refused);
            return;
        }

        if (routes.Find(request.Model) is not { } route)
        {
            await RefuseAsync(http, operation, context, new Refusal(RefusalKind.UnknownTarget, $"The model '{request.Model}' does not exist."));
            return;
        }

        var targets = route.OrderFor(operation.Api, Random.Shared);
        if (targets.Length == 0)
        {
            await RefuseAsync(http, operation, context, new Refusal(RefusalKind.UnknownTarget,
                $"The model '{request.Model}' is not served through the {(operation.Api == Contracts.Configuration.ProviderKind.Anthropic ? "Anthropic Messages" : "OpenAI")} API."));
            return;
        }

        var exchange = new LlmExchange(http, operation, context, request);
        exchange.OnUsageSettled(e => tokens.SpendAsync(e.Context.Client.ClientId, (e.InputTokens ?? 0) + (e.OutputTokens ?? 0)));
        try
        {
            if (!await relay.RelayAsync(exchange, targets, http.RequestAborted))
            {
                var error = LlmFailure.ErrorFor(exchange, time.GetUtcNow());
                await error.WriteAsync(http, operation.Api);
                audit.RecordLlm(context, AuditDecision.Allowed, LlmFailure.AuditStatusFor(exchange), error.Status, http.Response.ContentLength ?? 0,
                    error.Message, null, exchange.ToAudit());
            }
            else
            {
                audit.RecordLlm(context, AuditDecision.Allowed, LlmFailure.AuditStatusOfAnswer(exchange),
                    exchange.Status >= 400 ? exchange.Status : null, exchange.ResponseBytes, exchange.FailureDetail, exchange.AnsweredBy?.Provider, exchange.ToAudit());
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            audit.RecordLlm(context, AuditDecision.Allowed, AuditStatus.Cancelled, null, exchange.ResponseBytes, "cancelled by the caller",
                exchange.AnsweredBy?.Provider, exchange.ToAudit());
        }
        finally
        {
            await exchange.SettleUsageAsync();
            telemetry.RecordRequest(exchange);
        }
    }

    private async Task RefuseAsync(HttpContext http, LlmOperation operation, CallContext context, Refusal refusal)
    {
        var error = LlmError.From(refusal);
        await error.WriteAsync(http, operation.Api);
        audit.RecordLlm(context, AuditDecision.Refused, refusal.AuditStatus, error.Status, http.Response.ContentLength ?? 0, refusal.Message, null, null);
    }

    /// <summary>A request refused before it names a model the gateway could act on: too large or not well-formed.</summary>
    private async Task RefuseAtEdgeAsync(HttpContext http, LlmOperation operation, ClientIdentity client, string? model, LlmError error)
    {
        await error.WriteAsync(http, operation.Api);
        var context = new CallContext { Method = operation.Method, Client = client, Target = model, TargetKind = CatalogItemKind.Model, RequestId = http.TraceIdentifier };
        audit.RecordLlm(context, AuditDecision.Refused, AuditStatus.InvalidRequest, error.Status, http.Response.ContentLength ?? 0, error.Message, null, null);
    }

    /// <summary><see cref="ModelOptions.NamePattern"/>, anchored with <c>\z</c>: <c>$</c> would also take a trailing newline.</summary>
    [GeneratedRegex(@"\A[a-zA-Z0-9_.:/-]{1,128}\z")]
    private static partial Regex ModelName();
}
