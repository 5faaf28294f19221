using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Circuit;
using Gateway.Proxy.Llm.Providers;
using Gateway.Proxy.Llm.Routing;
using Gateway.Proxy.Llm.Telemetry;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Llm.Relay;

/// <summary>
/// One request to one provider target: sent with the provider's own credential (never the caller's), bounded by
/// the provider's first-byte and total timeouts, and classified. Failures before the client's first byte report to
/// the breaker and leave the request to the next target; an answer is committed to the client whole (or, for a
/// stream, handed to <see cref="StreamRelay"/> at its first event).
/// </summary>
public sealed partial class ProviderCall(
    ProviderThrottles throttles,
    StreamRelay streams,
    LlmTelemetry telemetry,
    IOptionsMonitor<LlmOptions> options,
    Audit.AuditSource source,
    TimeProvider time,
    ILogger<ProviderCall> logger)
{
    /// <summary>True when the attempt answered the client; false to try the next target.</summary>
    public async Task<bool> TryAsync(LlmExchange exchange, ProviderEndpoint provider, RouteTarget target, CircuitPermit permit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(target);
        var settings = provider.Options;
        var url = provider.UrlFor(exchange.Operation.Path);
        var activity = telemetry.StartAttempt(exchange, target, url);
        var outcome = AttemptOutcome.Unavailable;
        using var total = new CancellationTokenSource(settings.Timeout, time);
        using var firstByte = new CancellationTokenSource(settings.FirstByteTimeout, time);
        using var beforeFirstByte = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, total.Token, firstByte.Token);
        try
        {
            using var request = BuildRequest(exchange, provider, target, url);
            HttpResponseMessage response;
            try
            {
                response = await provider.Client.SendAsync(request, beforeFirstByte.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                outcome = AttemptOutcome.Timeout;
                return Fail(exchange, target, permit, outcome, null, $"no answer within {Milliseconds(firstByte.IsCancellationRequested ? settings.FirstByteTimeout : settings.Timeout)}");
            }
            catch (HttpRequestException ex)
            {
                return Fail(exchange, target, permit, outcome, null, ex.Message);
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                if (status == StatusCodes.Status429TooManyRequests)
                {
                    // The provider is up and said so: not a breaker failure, but out of rotation for as long as it asks.
                    permit.Success();
                    outcome = AttemptOutcome.RateLimited;
                    DateTimeOffset? retryAt = null;
                    if (RetryAfter(response) is { } retryAfter)
                    {
                        throttles.Hold(target.Provider, retryAfter, source.Name);
                        retryAt = throttles.HeldUntil(target.Provider);
                    }

                    exchange.Skipped(target, outcome, status, retryAt);
                    return false;
                }

                if (status >= 500 || status is StatusCodes.Status408RequestTimeout or StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
                {
                    // 401/403: the gateway's credential for this provider is wrong, which no caller can fix.
                    return Fail(exchange, target, permit, outcome, status, status is 401 or 403 ? "refused the gateway's credential" : null);
                }

                if (exchange.Stream && status < 300)
                {
                    outcome = await streams.RelayAsync(exchange, response, target, permit, settings.IdleTimeout, beforeFirstByte.Token, total.Token, cancellationToken);
                    return exchange.AnsweredBy is not null;
                }

                outcome = await RelayWholeAsync(exchange, response, target, permit, status, total, cancellationToken);
                return exchange.AnsweredBy is not null;
            }
        }
        finally
        {
            telemetry.EndAttempt(activity, exchange, outcome, exchange.RecordedAnswer);
        }
    }

    /// <summary>Reads a whole (non-streamed) answer, checks it is JSON, then sends it to the client in one write.</summary>
    private async Task<string> RelayWholeAsync(LlmExchange exchange, HttpResponseMessage response, RouteTarget target, CircuitPermit permit,
        int status, CancellationTokenSource total, CancellationToken cancellationToken)
    {
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, total.Token);
        var limit = options.CurrentValue.MaxResponseBytes;
        byte[] body;
        try
        {
            body = await ReadBoundedAsync(response.Content, limit, reading.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Fail(exchange, target, permit, AttemptOutcome.Timeout, status, "the answer did not complete within the total timeout");
            return AttemptOutcome.Timeout;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            Fail(exchange, target, permit, AttemptOutcome.Unavailable, status, ex.Message);
            return AttemptOutcome.Unavailable;
        }
        catch (InvalidDataException ex)
        {
            Fail(exchange, target, permit, AttemptOutcome.Protocol, status, ex.Message);
            return AttemptOutcome.Protocol;
        }

        if (!UsageScan.TryRead(body, out var scan))
        {
            Fail(exchange, target, permit, AttemptOutcome.Protocol, status, "the answer is not JSON");
            return AttemptOutcome.Protocol;
        }

        permit.Success();
        var outcome = status < 300 ? AttemptOutcome.Ok : AttemptOutcome.Error;
        exchange.Committed(target, status);
        exchange.ResponseModel = scan.Model ?? target.Model;
        exchange.InputTokens = scan.InputTokens;
        exchange.OutputTokens = scan.OutputTokens;
        exchange.ResponseBytes = body.Length;
        if (options.CurrentValue.RecordContent)
        {
            exchange.RecordedAnswer = System.Text.Encoding.UTF8.GetString(body);
        }

        var http = exchange.Http;
        http.Response.StatusCode = status;
        http.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/json";
        http.Response.ContentLength = body.Length;
        http.Response.Headers[LlmHeaders.Provider] = target.Provider;
        exchange.Finished(outcome);
        await exchange.SettleUsageAsync();
        await http.Response.Body.WriteAsync(body, cancellationToken);
        return outcome;
    }

    private bool Fail(LlmExchange exchange, RouteTarget target, CircuitPermit permit, string outcome, int? status, string? detail)
    {
        permit.Failure(outcome, detail ?? $"HTTP {status}");
        exchange.Skipped(target, outcome, status, detail: detail);
        LogAttemptFailed(logger, target.Provider, exchange.Body.Model, outcome, status, detail);
        return false;
    }

    private HttpRequestMessage BuildRequest(LlmExchange exchange, ProviderEndpoint provider, RouteTarget target, Uri url)
    {
        var content = new ByteArrayContent(exchange.Body.ForTarget(target.Model, requestUsage: target.Kind == ProviderKind.OpenAI));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content, Version = System.Net.HttpVersion.Version11 };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(exchange.Stream ? "text/event-stream" : "application/json"));
        var key = provider.ApiKey;
        if (target.Kind == ProviderKind.Anthropic)
        {
            if (key is not null)
            {
                request.Headers.TryAddWithoutValidation("x-api-key", key);
            }

            var headers = exchange.Http.Request.Headers;
            request.Headers.TryAddWithoutValidation("anthropic-version",
                headers["anthropic-version"] is { Count: > 0 } version ? version.ToString() : options.CurrentValue.AnthropicVersion);
            if (headers["anthropic-beta"] is { Count: > 0 } beta)
            {
                request.Headers.TryAddWithoutValidation("anthropic-beta", beta.ToString());
            }
        }
        else if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return request;
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } when delta > TimeSpan.Zero => delta,
        { Date: { } date } when date > time.GetUtcNow() => date - time.GetUtcNow(),
        _ => null,
    };

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > limit)
        {
            throw new InvalidDataException($"the answer is larger than {limit} bytes");
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(content.Headers.ContentLength ?? 16 * 1024, limit) + 1);
        while (true)
        {
            var read = await stream.ReadAsync(buffer.GetMemory(8 * 1024), cancellationToken);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                throw new InvalidDataException($"the answer is larger than {limit} bytes");
            }
        }
    }

    private static string Milliseconds(TimeSpan timeout) => string.Create(CultureInfo.InvariantCulture, $"{timeout.TotalMilliseconds:0} ms");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider '{Provider}' failed for model '{Model}': {Outcome} (HTTP {Status}) {Detail}")]
    private static partial void LogAttemptFailed(ILogger logger, string provider, string model, string outcome, int? status, string? detail);
}

/// <summary>Headers the gateway adds to LLM answers.</summary>
public static class LlmHeaders
{
    /// <summary>The configured name of the provider whose answer this is.</summary>
    public const string Provider = "X-Gateway-Provider";
}
