using CsCheck;
using Gateway.AuditService.Ingestion;
using Gateway.AuditService.Tests.Infrastructure;
using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Tests.Ingestion;

public sealed class AuditEventValidatorTests
{
    [Fact]
    public void A_complete_event_is_valid() => Assert.Null(AuditEventValidator.Validate(SampleEvents.Call()));

    [Fact]
    public void A_nul_character_is_rejected_because_postgresql_could_never_store_it()
    {
        var reason = AuditEventValidator.Validate(SampleEvents.Call() with { Detail = "before\0after" });

        Assert.Equal("Detail contains a NUL character", reason);
    }

    [Fact]
    public void Every_problem_of_an_event_is_named()
    {
        var e = SampleEvents.Call() with
        {
            EventId = Guid.Empty,
            Timestamp = default,
            Source = " ",
            Decision = (AuditDecision)42,
            LatencyMs = double.NaN,
            ResponseBytes = -1,
            ArgumentsSha256 = "ABC",
            Target = new string('t', AuditLimits.MaxTargetLength + 1),
            Arguments = new string('a', AuditLimits.MaxArgumentsLength + 1),
        };

        var reason = AuditEventValidator.Validate(e);

        Assert.Equal(
            "EventId is missing; Timestamp is missing; Decision 42 is not a known decision; " +
            "LatencyMs must be a finite, non-negative number; ResponseBytes must not be negative; " +
            "ArgumentsSha256 must be 64 lower-case hex digits; Source is missing; Target is 2049 characters, more than 2048; " +
            "Arguments is 65537 characters, more than 65536",
            reason);
    }

    [Fact]
    public void Fields_at_their_limit_are_accepted()
    {
        var e = SampleEvents.Call() with
        {
            ClientId = new string('c', AuditLimits.MaxNameLength),
            Detail = new string('d', AuditLimits.MaxDetailLength),
        };

        Assert.Null(AuditEventValidator.Validate(e));
    }

    [Fact]
    public void An_llm_request_at_every_limit_is_accepted()
    {
        var name = new string('n', AuditLimits.MaxNameLength);
        var e = SampleEvents.LlmCall() with
        {
            Llm = new LlmCallAudit(
                name,
                [.. Enumerable.Repeat(new LlmAttempt(name, name, name, 599), AuditLimits.MaxLlmAttempts)],
                Streamed: false,
                TimeToFirstByteMs: 0,
                InputTokens: 0,
                OutputTokens: long.MaxValue),
        };

        Assert.Null(AuditEventValidator.Validate(e));
        Assert.Null(AuditEventValidator.Validate(SampleEvents.LlmCall() with { Llm = new LlmCallAudit(null, [], false, null, null, null) }));
    }

    [Fact]
    public void Every_problem_of_an_llm_request_is_named()
    {
        var e = SampleEvents.LlmCall() with
        {
            Llm = new LlmCallAudit(
                UpstreamModel: new string('u', AuditLimits.MaxNameLength + 1),
                Attempts:
                [
                    new LlmAttempt("openai-a", "gpt\0", "ok", 99),
                    null!,
                    new LlmAttempt(" ", null!, new string('o', AuditLimits.MaxNameLength + 1), 600),
                ],
                Streamed: true,
                TimeToFirstByteMs: double.PositiveInfinity,
                InputTokens: -1,
                OutputTokens: -2),
        };

        var reason = AuditEventValidator.Validate(e);

        Assert.Equal(
            "Llm.UpstreamModel is 257 characters, more than 256; Llm.TimeToFirstByteMs must be a finite, non-negative number; " +
            "Llm.InputTokens must not be negative; Llm.OutputTokens must not be negative; " +
            "Llm.Attempts[0].Model contains a NUL character; Llm.Attempts[0].HttpStatus 99 is not an HTTP status; " +
            "Llm.Attempts[1] is missing; Llm.Attempts[2].Provider is missing; Llm.Attempts[2].Model is missing; " +
            "Llm.Attempts[2].Outcome is 257 characters, more than 256; Llm.Attempts[2].HttpStatus 600 is not an HTTP status",
            reason);
    }

    [Fact]
    public void A_runaway_attempts_list_is_refused_with_one_reason_and_missing_attempts_are_named()
    {
        var attempt = new LlmAttempt("p", "m", "\0", -1);
        var runaway = SampleEvents.LlmCall() with
        {
            Llm = SampleEvents.LlmCall().Llm! with { Attempts = [.. Enumerable.Repeat(attempt, 10_000)] },
        };

        Assert.Equal("Llm.Attempts has 10000 attempts, more than 16", AuditEventValidator.Validate(runaway));
        Assert.Equal(
            "Llm.Attempts is missing",
            AuditEventValidator.Validate(SampleEvents.LlmCall() with { Llm = SampleEvents.LlmCall().Llm! with { Attempts = null! } }));
    }

    /// <summary>Names around the limit: empty, blank, with a NUL, or of any length up to a few past the limit.</summary>
    private static readonly Gen<string?> EdgeName = Gen.Frequency(
        (1, Gen.Const((string?)null)),
        (1, Gen.OneOf<string?>("", " \t", "a\0b")),
        (6, Gen.Int[1, AuditLimits.MaxNameLength + 3].Select(n => (string?)new string('x', n))));

    private static readonly Gen<LlmCallAudit> EdgeLlm = Gen.Select(
        EdgeName,
        Gen.Select(EdgeName, EdgeName, EdgeName, Gen.Int[-1, 700].Nullable(), (p, m, o, s) => new LlmAttempt(p!, m!, o!, s))
            .Array[0, AuditLimits.MaxLlmAttempts + 2],
        Gen.Frequency((4, Gen.Double[-5, 5]), (1, Gen.OneOf(double.NaN, double.NegativeInfinity, double.PositiveInfinity))).Nullable(),
        Gen.Long[-2, 2].Nullable(),
        Gen.Long[-2, 2].Nullable(),
        (upstream, attempts, ttfb, input, output) => new LlmCallAudit(upstream, attempts, true, ttfb, input, output));

    [Fact]
    public void An_llm_part_is_accepted_exactly_when_every_field_is_within_its_documented_bound()
    {
        static bool NameOk(string? s, bool required) =>
            s is null ? !required : (!required || !string.IsNullOrWhiteSpace(s)) && s.Length <= AuditLimits.MaxNameLength && !s.Contains('\0', StringComparison.Ordinal);

        EdgeLlm.Sample(llm =>
        {
            var expected =
                NameOk(llm.UpstreamModel, required: false)
                && llm.TimeToFirstByteMs is null or (>= 0 and < double.PositiveInfinity)
                && llm.InputTokens is null or >= 0
                && llm.OutputTokens is null or >= 0
                && llm.Attempts.Count <= AuditLimits.MaxLlmAttempts
                && llm.Attempts.All(a => NameOk(a.Provider, true) && NameOk(a.Model, true) && NameOk(a.Outcome, true) && a.HttpStatus is null or (>= 100 and <= 599));

            var reason = AuditEventValidator.Validate(SampleEvents.LlmCall() with { Llm = llm });

            return expected == reason is null;
        });
    }

    [Fact]
    public void Generated_hostile_llm_requests_are_valid() =>
        LlmEvents.Event.Sample(e => AuditEventValidator.Validate(e) is null);
}
