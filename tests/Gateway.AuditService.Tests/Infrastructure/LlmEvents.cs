using CsCheck;
using Gateway.AuditService.Ingestion;
using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Tests.Infrastructure;

/// <summary>Generated LLM request events whose text is hostile to SQL, JSON, CSV and spreadsheets, but valid.</summary>
internal static class LlmEvents
{
    /// <summary>Quotes, escapes, separators, formula starts, JSON punctuation and non-ASCII (no NUL, no lone surrogates).</summary>
    private static readonly Gen<char> HostileChar = Gen.Char["abcXYZ019 _-./:'\"\\,;\n\r\t=+@{}[]%éü€漢\u00a0\u2028"];

    /// <summary>Text that is never blank (a letter first) and at most <paramref name="maxLength"/> characters.</summary>
    private static Gen<string> Name(int maxLength) =>
        Gen.String[HostileChar, 0, maxLength - 1].Select(s => "m" + s);

    /// <summary>Mostly short names, sometimes right at <see cref="AuditLimits.MaxNameLength"/>.</summary>
    private static readonly Gen<string> AnyName = Gen.Frequency(
        (8, Name(40)),
        (1, Gen.String[HostileChar, AuditLimits.MaxNameLength - 1, AuditLimits.MaxNameLength - 1].Select(s => "m" + s)));

    private static readonly Gen<LlmAttempt> Attempt =
        Gen.Select(AnyName, AnyName, AnyName, Gen.Int[100, 599].Nullable(),
            (provider, model, outcome, status) => new LlmAttempt(provider, model, outcome, status));

    public static readonly Gen<LlmCallAudit> Llm =
        Gen.Select(
                AnyName.Null(),
                Attempt.Array[0, AuditLimits.MaxLlmAttempts],
                Gen.Bool,
                Gen.Double[0, 1e7].Nullable(),
                Gen.Long[0, long.MaxValue].Nullable(),
                Gen.Long[0, long.MaxValue].Nullable(),
                (upstream, attempts, streamed, ttfb, input, output) => new LlmCallAudit(upstream, attempts, streamed, ttfb, input, output));

    /// <summary>A valid LLM request event with a fresh id, a generated requested model and LLM part.</summary>
    public static readonly Gen<AuditEvent> Event =
        Gen.Select(Llm, AnyName, Gen.Int[0, 1_000_000], (llm, model, offsetMs) =>
            SampleEvents.LlmCall(at: SampleEvents.Epoch.AddMilliseconds(-offsetMs), model: model) with
            {
                EventId = Guid.NewGuid(),
                Llm = llm,
            });
}
