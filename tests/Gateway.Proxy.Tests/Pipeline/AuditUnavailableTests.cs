using Gateway.Contracts;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Audit;

namespace Gateway.Proxy.Tests.Pipeline;

/// <summary>
/// A replica whose audit spill folder has reached its bound (the bus down long enough) answers no call it could not
/// audit: it refuses them with -32011, records each refusal, and forwards again once the folder has drained.
/// </summary>
public sealed class AuditUnavailableTests : IDisposable
{
    private const long Bound = 16_384;
    private readonly PipelineFixture _fixture = new(spillLimitBytes: Bound);
    private readonly CountingBackend _backend = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task A_full_spill_folder_refuses_calls_with_32011_without_forwarding_and_records_each_refusal()
    {
        FillSpill();

        var refused = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo"), _backend.InvokeAsync, CancellationToken.None);

        Assert.True(refused.IsError);
        Assert.Equal(GatewayErrorCodes.AuditUnavailable, refused.ErrorCode);
        Assert.Equal(0, _backend.Calls);
        var audit = Assert.Single(_fixture.DrainAudit());
        Assert.Equal((AuditDecision.Refused, AuditStatus.AuditUnavailable, GatewayErrorCodes.AuditUnavailable), (audit.Decision, audit.Status, audit.ErrorCode));
    }

    [Fact]
    public async Task Calls_are_forwarded_again_once_the_spilled_events_are_delivered()
    {
        FillSpill();

        foreach (var segment in _fixture.Spill.SealSegments())
        {
            _fixture.Spill.Delete(segment);
        }

        var answered = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo"), _backend.InvokeAsync, CancellationToken.None);

        Assert.False(answered.IsError);
        Assert.Equal(1, _backend.Calls);
        Assert.Equal(0, _fixture.Spill.PendingBytes);
    }

    private void FillSpill()
    {
        for (var i = 0; !_fixture.Spill.IsFull; i++)
        {
            _fixture.Spill.Append(new AuditEvent(Guid.NewGuid(), DateTimeOffset.UnixEpoch, "proxy/test", i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "s", "c", "tools/call", "echo", "alpha", AuditDecision.Allowed, AuditStatus.Ok, null, 1, 10, null, null, null));
        }

        Assert.True(_fixture.Spill.PendingBytes >= Bound);
    }
}
