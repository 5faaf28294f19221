using Gateway.Contracts.Messages;
using Gateway.Proxy.Llm.Requests;
using Gateway.Proxy.Llm.Routing;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Llm;

/// <summary>
/// One request on the <c>/v1</c> endpoints, from receipt to its audit event: what was asked, each target tried,
/// and what the client got. Filled in by the relay; read once for the audit event, the metrics and the token count.
/// </summary>
public sealed class LlmExchange(HttpContext http, LlmOperation operation, CallContext context, LlmRequestBody body)
{
    private readonly List<LlmAttempt> _attempts = new(2);
    private Func<LlmExchange, ValueTask>? _settle;

    public HttpContext Http { get; } = http;

    public LlmOperation Operation { get; } = operation;

    public CallContext Context { get; } = context;

    public LlmRequestBody Body { get; } = body;

    public bool Stream => Operation.CanStream && Body.Stream;

    public IReadOnlyList<LlmAttempt> Attempts => _attempts;

    /// <summary>The target whose answer reached the client, if any.</summary>
    public RouteTarget? AnsweredBy { get; private set; }

    /// <summary>The model the provider says answered (else the upstream model asked for).</summary>
    public string? ResponseModel { get; set; }

    /// <summary>The HTTP status the client got from a provider's answer.</summary>
    public int? Status { get; private set; }

    /// <summary>The outcome of the answering attempt (<see cref="Relay.AttemptOutcome"/>).</summary>
    public string? Outcome { get; private set; }

    public long? InputTokens { get; set; }

    public long? OutputTokens { get; set; }

    public long ResponseBytes { get; set; }

    /// <summary>From receipt to the first byte sent to the client.</summary>
    public TimeSpan? TimeToFirstByte { get; private set; }

    /// <summary>The earliest time a throttled or rate-limited target said it may be tried again.</summary>
    public DateTimeOffset? RetryAt { get; private set; }

    /// <summary>The answer's text, kept only when <see cref="LlmOptions.RecordContent"/> is on.</summary>
    public string? RecordedAnswer { get; set; }

    /// <summary>Why the answer failed after its first byte, for the audit detail.</summary>
    public string? FailureDetail { get; set; }

    public void Skipped(RouteTarget target, string outcome, int? status = null, DateTimeOffset? retryAt = null, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        _attempts.Add(new LlmAttempt(target.Provider, target.Model, outcome, status));
        if (retryAt is { } at && (RetryAt is null || at < RetryAt))
        {
            RetryAt = at;
        }

        Details.Add($"{target.Provider}: {outcome}{(status is null ? "" : $" (HTTP {status})")}{(detail is null ? "" : ", " + detail)}");
    }

    /// <summary>Why each target was not used, for the error message and the audit detail.</summary>
    public List<string> Details { get; } = new(2);

    /// <summary>The first byte of <paramref name="target"/>'s answer is about to reach the client.</summary>
    public void Committed(RouteTarget target, int status)
    {
        ArgumentNullException.ThrowIfNull(target);
        AnsweredBy = target;
        Status = status;
        TimeToFirstByte = System.Diagnostics.Stopwatch.GetElapsedTime(Context.StartedAt);
    }

    /// <summary>The answering attempt is over, with <paramref name="outcome"/>.</summary>
    public void Finished(string outcome)
    {
        Outcome = outcome;
        _attempts.Add(new LlmAttempt(AnsweredBy!.Provider, AnsweredBy.Model, outcome, Status));
    }

    /// <summary>What to do once the usage is final (count it against the client's budget).</summary>
    public void OnUsageSettled(Func<LlmExchange, ValueTask> settle) => _settle = settle;

    /// <summary>
    /// The usage is final: runs the <see cref="OnUsageSettled"/> action, once. The relays call this before the last
    /// bytes of an answer reach the client, so a budget the answer spends already binds the client's next request.
    /// </summary>
    public ValueTask SettleUsageAsync() => Interlocked.Exchange(ref _settle, null) is { } settle ? settle(this) : ValueTask.CompletedTask;

    public LlmCallAudit ToAudit() => new(
        AnsweredBy?.Model,
        [.. _attempts],
        Stream,
        TimeToFirstByte?.TotalMilliseconds,
        InputTokens,
        OutputTokens);
}
