using System.Text;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Circuit;
using Gateway.Proxy.Llm.Errors;
using Gateway.Proxy.Llm.Routing;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Llm.Relay;

/// <summary>
/// Relays a provider's server-sent events to the client one by one, each flushed as it arrives. The answer is
/// committed to the provider at its first data event (before it, a failure still falls back to the next target);
/// after it, silence beyond the idle timeout, a broken connection or a malformed event ends the client's stream with
/// an error event in its API's shape and a reset connection, so the client's SDK sees an error, never a truncated
/// answer that looks complete.
/// </summary>
public sealed partial class StreamRelay(IOptionsMonitor<LlmOptions> options, TimeProvider time, ILogger<StreamRelay> logger)
{
    private static readonly byte[] s_messageStop = "\"message_stop\""u8.ToArray();

    /// <summary>The attempt's outcome; <see cref="LlmExchange.AnsweredBy"/> is set once the client got a byte.</summary>
    public async Task<string> RelayAsync(LlmExchange exchange, HttpResponseMessage response, RouteTarget target, CircuitPermit permit,
        TimeSpan idleTimeout, CancellationToken beforeFirstByte, CancellationToken total, CancellationToken clientAborted)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(target);
        var status = (int)response.StatusCode;
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            return Fail(exchange, target, permit, AttemptOutcome.Protocol, status, "a stream was asked for, the answer is not text/event-stream");
        }

        var settings = options.CurrentValue;
        await using var events = new SseEventReader(await response.Content.ReadAsStreamAsync(beforeFirstByte), settings.MaxResponseBytes);
        using var idle = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        using var afterFirstByte = CancellationTokenSource.CreateLinkedTokenSource(clientAborted, total, idle.Token);
        var answer = settings.RecordContent ? new StringBuilder() : null;
        SseEvent first;
        try
        {
            first = await FirstDataEventAsync(events, beforeFirstByte) ?? throw new SseProtocolException("The stream ended before its first event.");
            if (Scan(exchange, first) is not { } firstScan || firstScan.IsError)
            {
                return Fail(exchange, target, permit, AttemptOutcome.Protocol, status, "the first event is not a JSON answer");
            }
        }
        catch (OperationCanceledException) when (!clientAborted.IsCancellationRequested)
        {
            return Fail(exchange, target, permit, AttemptOutcome.Timeout, status, "no first event within the first-byte timeout");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or SseProtocolException)
        {
            return Fail(exchange, target, permit, ex is SseProtocolException ? AttemptOutcome.Protocol : AttemptOutcome.Unavailable, status, ex.Message);
        }

        var http = exchange.Http;
        exchange.Committed(target, status);
        exchange.ResponseModel ??= target.Model;
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers[LlmHeaders.Provider] = target.Provider;
        await WriteAsync(exchange, first, clientAborted);

        var sawEnd = first.IsDone || IsMessageStop(first);
        string? failure = null;
        var outcome = AttemptOutcome.Ok;
        try
        {
            while (!sawEnd)
            {
                idle.CancelAfter(idleTimeout);
                var next = await events.ReadAsync(afterFirstByte.Token);
                idle.CancelAfter(Timeout.InfiniteTimeSpan);
                if (next is not { } item)
                {
                    (outcome, failure) = (AttemptOutcome.Cut, "the provider ended the stream before its last event");
                    break;
                }

                if (item.HasData && !item.IsDone)
                {
                    if (Scan(exchange, item) is not { } scan)
                    {
                        (outcome, failure) = (AttemptOutcome.Protocol, "the provider sent an event that is not JSON");
                        break;
                    }

                    if (scan.IsError)
                    {
                        // Already in the client's shape: relay it, then end as a failure of the provider.
                        await WriteAsync(exchange, item, clientAborted);
                        (outcome, failure) = (AttemptOutcome.Unavailable, "the provider sent an error event");
                        break;
                    }

                    if (scan.EmptyChoices && scan.InputTokens is not null && !exchange.Body.ClientAskedForUsage && target.Kind == ProviderKind.OpenAI)
                    {
                        // The usage chunk the gateway asked for on the client's behalf: counted, not relayed.
                        continue;
                    }

                    answer?.Append(Encoding.UTF8.GetString(item.Data.Span));
                }

                sawEnd = item.IsDone || IsMessageStop(item);
                if (sawEnd)
                {
                    await exchange.SettleUsageAsync();
                }

                await WriteAsync(exchange, item, clientAborted);
            }
        }
        catch (OperationCanceledException) when (!clientAborted.IsCancellationRequested)
        {
            (outcome, failure) = (AttemptOutcome.Cut, idle.IsCancellationRequested
                ? $"no event within the idle timeout ({idleTimeout.TotalMilliseconds:0} ms)"
                : "the answer did not complete within the total timeout");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or SseProtocolException)
        {
            (outcome, failure) = (ex is SseProtocolException ? AttemptOutcome.Protocol : AttemptOutcome.Cut, ex.Message);
        }

        exchange.RecordedAnswer = answer?.ToString();
        if (failure is null)
        {
            permit.Success();
            exchange.Finished(outcome);
            return outcome;
        }

        permit.Failure(outcome, failure);
        exchange.FailureDetail = failure;
        exchange.Finished(outcome);
        LogStreamBroke(logger, target.Provider, exchange.Body.Model, outcome, failure);
        await EndWithErrorAsync(exchange, failure, clientAborted);
        return outcome;
    }

    /// <summary>Skips comment-only events (keep-alives) before the first event that carries data.</summary>
    private static async Task<SseEvent?> FirstDataEventAsync(SseEventReader events, CancellationToken cancellationToken)
    {
        while (await events.ReadAsync(cancellationToken) is { } item)
        {
            if (item.HasData)
            {
                return item;
            }
        }

        return null;
    }

    /// <summary>Reads model and usage from an event's data; null when the data is not JSON.</summary>
    private static UsageScan? Scan(LlmExchange exchange, SseEvent item)
    {
        if (item.IsDone)
        {
            return default(UsageScan);
        }

        if (!UsageScan.TryRead(item.Data.Span, out var scan))
        {
            return null;
        }

        if (scan.Model is not null)
        {
            exchange.ResponseModel = scan.Model;
        }

        // Usage is cumulative in both APIs: the last report wins.
        exchange.InputTokens = scan.InputTokens ?? exchange.InputTokens;
        exchange.OutputTokens = scan.OutputTokens ?? exchange.OutputTokens;
        return scan;
    }

    private static bool IsMessageStop(SseEvent item) => item.HasData && item.Data.Span.IndexOf(s_messageStop) >= 0;

    private static async Task WriteAsync(LlmExchange exchange, SseEvent item, CancellationToken cancellationToken)
    {
        exchange.ResponseBytes += item.Raw.Length;
        await exchange.Http.Response.Body.WriteAsync(item.Raw, cancellationToken);
        await exchange.Http.Response.Body.FlushAsync(cancellationToken);
    }

    private static async Task EndWithErrorAsync(LlmExchange exchange, string failure, CancellationToken cancellationToken)
    {
        var error = new LlmError(StatusCodes.Status502BadGateway, "stream_interrupted", $"The provider's stream broke: {failure}.");
        try
        {
            await exchange.Http.Response.Body.WriteAsync(error.ToEvent(exchange.Operation.Api), cancellationToken);
            await exchange.Http.Response.Body.FlushAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // The client is gone as well; nothing more to tell it.
        }

        // A reset, not a clean end: an SDK must not take what it got for a complete answer.
        exchange.Http.Abort();
    }

    private string Fail(LlmExchange exchange, RouteTarget target, CircuitPermit permit, string outcome, int status, string detail)
    {
        permit.Failure(outcome, detail);
        exchange.Skipped(target, outcome, status, detail: detail);
        LogStreamBroke(logger, target.Provider, exchange.Body.Model, outcome, detail);
        return outcome;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream from provider '{Provider}' for model '{Model}' failed: {Outcome}, {Detail}")]
    private static partial void LogStreamBroke(ILogger logger, string provider, string model, string outcome, string detail);
}
