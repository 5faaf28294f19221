using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Llm.Routing;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Llm.Telemetry;

/// <summary>
/// Spans and metrics of the LLM route in the OpenTelemetry GenAI semantic conventions, so the Aspire dashboard shows
/// each provider call as a GenAI call: a client span <c>{operation} {model}</c> per provider attempt, and the
/// <c>gen_ai.client.*</c> metrics; plus the gateway's own fallback counter.
/// </summary>
public sealed class LlmTelemetry : IDisposable
{
    public const string SourceName = "Gateway.Proxy.Llm";

    private readonly ActivitySource _source = new(SourceName);
    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Histogram<long> _tokens;
    private readonly Histogram<double> _timeToFirstChunk;
    private readonly Counter<long> _fallbacks;
    private readonly IOptionsMonitor<LlmOptions> _options;

    public LlmTelemetry(IMeterFactory meters, IOptionsMonitor<LlmOptions> options)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _options = options;
        _meter = meters.Create(SourceName);
        _duration = _meter.CreateHistogram<double>("gen_ai.client.operation.duration", "s", "Duration of GenAI operations, first target to last byte.");
        _tokens = _meter.CreateHistogram<long>("gen_ai.client.token.usage", "{token}", "Tokens used, as providers report them.");
        _timeToFirstChunk = _meter.CreateHistogram<double>("gen_ai.client.operation.time_to_first_chunk", "s", "Time from receipt to the first byte of the answer.");
        _fallbacks = _meter.CreateCounter<long>("gateway.llm.fallbacks", "{fallback}", "Targets passed over for the next one.");
    }

    /// <summary>Starts the client span of one provider attempt; null when nothing listens.</summary>
    public Activity? StartAttempt(LlmExchange exchange, RouteTarget target, Uri url)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(target);
        var activity = _source.StartActivity($"{exchange.Operation.GenAiOperation} {target.Model}", ActivityKind.Client);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag("gen_ai.operation.name", exchange.Operation.GenAiOperation);
        activity.SetTag("gen_ai.provider.name", ProviderName(target.Kind));
        activity.SetTag("gen_ai.request.model", target.Model);
        activity.SetTag("gateway.llm.provider", target.Provider);
        activity.SetTag("gateway.llm.requested_model", exchange.Body.Model);
        activity.SetTag("server.address", url.Host);
        activity.SetTag("server.port", url.Port);
        if (_options.CurrentValue.RecordContent)
        {
            activity.SetTag("gen_ai.input.messages", Encoding.UTF8.GetString(exchange.Body.Utf8.Span));
        }

        return activity;
    }

    /// <summary>Ends an attempt's span with what came of it.</summary>
    public void EndAttempt(Activity? activity, LlmExchange exchange, string outcome, string? answer = null)
    {
        if (activity is null)
        {
            return;
        }

        if (outcome != Relay.AttemptOutcome.Ok)
        {
            activity.SetTag("error.type", outcome);
            activity.SetStatus(ActivityStatusCode.Error, outcome);
        }

        activity.SetTag("gen_ai.response.model", exchange.ResponseModel);
        activity.SetTag("gen_ai.usage.input_tokens", exchange.InputTokens);
        activity.SetTag("gen_ai.usage.output_tokens", exchange.OutputTokens);
        if (answer is not null && _options.CurrentValue.RecordContent)
        {
            activity.SetTag("gen_ai.output.messages", answer);
        }

        activity.Dispose();
    }

    /// <summary>Records a finished request's metrics.</summary>
    public void RecordRequest(LlmExchange exchange)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        var target = exchange.AnsweredBy;
        var tags = new TagList
        {
            { "gen_ai.operation.name", exchange.Operation.GenAiOperation },
            { "gen_ai.provider.name", target is null ? "none" : ProviderName(target.Kind) },
            { "gen_ai.request.model", exchange.Body.Model },
            { "gateway.llm.provider", target?.Provider },
        };
        if (exchange.Outcome is not Relay.AttemptOutcome.Ok)
        {
            tags.Add("error.type", exchange.Outcome ?? "no_target");
        }

        _duration.Record(Stopwatch.GetElapsedTime(exchange.Context.StartedAt).TotalSeconds, tags);
        if (exchange.TimeToFirstByte is { } ttfb)
        {
            _timeToFirstChunk.Record(ttfb.TotalSeconds, tags);
        }

        if (exchange.InputTokens is { } input)
        {
            var inputTags = tags;
            inputTags.Add("gen_ai.token.type", "input");
            _tokens.Record(input, inputTags);
        }

        if (exchange.OutputTokens is { } output)
        {
            var outputTags = tags;
            outputTags.Add("gen_ai.token.type", "output");
            _tokens.Record(output, outputTags);
        }
    }

    /// <summary>Counts a target passed over for the next one.</summary>
    public void RecordFallback(string model, string provider, string outcome) =>
        _fallbacks.Add(1, new TagList { { "gen_ai.request.model", model }, { "gateway.llm.provider", provider }, { "gateway.llm.outcome", outcome } });

    public void Dispose()
    {
        _source.Dispose();
        _meter.Dispose();
    }

    /// <summary>The well-known <c>gen_ai.provider.name</c> of the API a provider speaks.</summary>
    private static string ProviderName(ProviderKind kind) => kind == ProviderKind.Anthropic ? "anthropic" : "openai";
}
