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
            Target = new string('t', AuditEventValidator.MaxTargetLength + 1),
            Arguments = new string('a', AuditEventValidator.MaxArgumentsLength + 1),
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
            ClientId = new string('c', AuditEventValidator.MaxNameLength),
            Detail = new string('d', AuditEventValidator.MaxDetailLength),
        };

        Assert.Null(AuditEventValidator.Validate(e));
    }
}
