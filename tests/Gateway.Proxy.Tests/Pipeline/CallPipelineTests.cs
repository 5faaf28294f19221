using System.Text.Json;
using Gateway.Contracts;
using Gateway.Contracts.Circuit;
using Gateway.Contracts.Messages;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Mcp;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Tests.Pipeline;

public sealed class CallPipelineTests : IDisposable
{
    private readonly PipelineFixture _fixture = new(o =>
    {
        o.RateLimits.ToolBurst = 1;
        o.RateLimits.ToolPerSecond = 0.001;
    });

    private readonly CountingBackend _backend = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task AllowedCallReachesTheBackendOnceAndIsAuditedOkWithHashedArguments()
    {
        var result = await _fixture.Pipeline.InvokeAsync(
            PipelineFixture.ToolCall("echo", arguments: """{ "b": 2, "a": "x" }"""), _backend.InvokeAsync, CancellationToken.None);

        Assert.False(result.IsError);
        Assert.Equal(1, _backend.Calls);
        var audit = Assert.Single(_fixture.DrainAudit());
        Assert.Equal(AuditDecision.Allowed, audit.Decision);
        Assert.Equal(AuditStatus.Ok, audit.Status);
        Assert.Equal(("app-1", "tools/call", "echo", "alpha", "7", "session-1"),
            (audit.ClientId, audit.Method, audit.Target, audit.Backend, audit.RequestId, audit.SessionId));
        Assert.Equal(CanonicalJson.Sha256(JsonDocument.Parse("""{"a":"x","b":2}""").RootElement), audit.ArgumentsSha256);
        Assert.Null(audit.Arguments);
        Assert.Equal(CountingBackend.OkResponse.Length, audit.ResponseBytes);
        Assert.Equal("proxy/test", audit.Source);
    }

    [Fact]
    public async Task KilledToolIsRefusedBeforeItsRateLimitTokenIsSpent()
    {
        await _fixture.Commands.EngageAsync(KillSwitchScope.Tool, "echo", "ops", "incident 42", CancellationToken.None);

        var killed = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo"), _backend.InvokeAsync, CancellationToken.None);
        await _fixture.Commands.ReleaseAsync(KillSwitchScope.Tool, "echo", "ops", CancellationToken.None);
        // The tool bucket holds exactly one token: the killed call must not have taken it.
        var allowed = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo"), _backend.InvokeAsync, CancellationToken.None);

        var data = AssertRefusal(killed, GatewayErrorCodes.Killed, "tool 'echo'");
        Assert.Equal("incident 42", data.GetProperty("reason").GetString());
        Assert.False(allowed.IsError);
        Assert.Equal(1, _backend.Calls);
        var calls = _fixture.DrainAudit().Where(e => e.Decision != AuditDecision.Admin).ToList();
        Assert.Equal([AuditStatus.Killed, AuditStatus.Ok], calls.Select(e => e.Status));
        Assert.Equal(GatewayErrorCodes.Killed, calls[0].ErrorCode);
    }

    [Theory]
    [InlineData(KillSwitchScope.Global, "")]
    [InlineData(KillSwitchScope.Backend, "alpha")]
    [InlineData(KillSwitchScope.Tool, "echo")]
    public async Task EveryKillSwitchScopeRefusesACallItCovers(KillSwitchScope scope, string name)
    {
        await _fixture.Commands.EngageAsync(scope, name, "ops", null, CancellationToken.None);

        var result = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo"), _backend.InvokeAsync, CancellationToken.None);

        AssertRefusal(result, GatewayErrorCodes.Killed);
        Assert.Equal(0, _backend.Calls);
    }

    [Fact]
    public async Task KillSwitchChangeIsAuditedWithTheAdminWhoMadeIt()
    {
        await _fixture.Commands.EngageAsync(KillSwitchScope.Backend, "alpha", "ops-admin", "maintenance", CancellationToken.None);

        var audit = Assert.Single(_fixture.DrainAudit());
        Assert.Equal((AuditDecision.Admin, "ops-admin", "admin/kill-switch", "alpha", AuditStatus.KillSwitchEngaged),
            (audit.Decision, audit.ClientId, audit.Method, audit.Backend, audit.Status));
        Assert.Contains("maintenance", audit.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RateLimitedCallSaysWhenToRetryAndNeverReachesTheBackend()
    {
        await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo"), _backend.InvokeAsync, CancellationToken.None);

        var limited = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo"), _backend.InvokeAsync, CancellationToken.None);

        var data = AssertRefusal(limited, GatewayErrorCodes.RateLimited);
        Assert.True(data.GetProperty("retryAfterMs").GetInt64() > 0);
        Assert.Equal("tool", data.GetProperty("bucket").GetString());
        Assert.Equal(1, _backend.Calls);
        Assert.Equal([AuditStatus.Ok, AuditStatus.RateLimited], _fixture.DrainAudit().Select(e => e.Status));
    }

    [Fact]
    public async Task RbacDenialDoesNotTouchTheBackend()
    {
        var result = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("delete_everything"), _backend.InvokeAsync, CancellationToken.None);

        AssertRefusal(result, GatewayErrorCodes.Forbidden);
        Assert.Equal(0, _backend.Calls);
        var audit = Assert.Single(_fixture.DrainAudit());
        Assert.Equal((AuditDecision.Refused, AuditStatus.Forbidden, GatewayErrorCodes.Forbidden), (audit.Decision, audit.Status, audit.ErrorCode));
    }

    [Fact]
    public async Task RbacRunsAfterTheRateLimitSoAForbiddenCallSpendsAToken()
    {
        // Order is fixed: kill switch → rate limit → RBAC. A denied call still counts against the caller's limit.
        await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("delete_everything"), _backend.InvokeAsync, CancellationToken.None);

        var second = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("delete_everything"), _backend.InvokeAsync, CancellationToken.None);

        AssertRefusal(second, GatewayErrorCodes.RateLimited);
    }

    [Fact]
    public async Task With_policies_off_a_killed_rate_limited_forbidden_call_reaches_the_backend_and_is_still_audited()
    {
        _fixture.Policies.Set(new PolicyOptions { Enabled = false });
        await _fixture.Commands.EngageAsync(KillSwitchScope.Global, "", "ops", null, CancellationToken.None);

        // Outside the client's roles, past the tool bucket's single token, under the global switch: all admitted.
        var first = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("delete_everything"), _backend.InvokeAsync, CancellationToken.None);
        var second = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("delete_everything"), _backend.InvokeAsync, CancellationToken.None);

        Assert.False(first.IsError);
        Assert.False(second.IsError);
        Assert.Equal(2, _backend.Calls);
        Assert.True(_fixture.Pipeline.IsVisible(PipelineFixture.Reader, CatalogItemKind.Tool, "delete_everything"));
        var calls = _fixture.DrainAudit().Where(e => e.Decision != AuditDecision.Admin).ToList();
        Assert.Equal([AuditStatus.Ok, AuditStatus.Ok], calls.Select(e => e.Status));
    }

    [Fact]
    public async Task Policies_switched_back_on_refuse_again_without_a_restart()
    {
        _fixture.Policies.Set(new PolicyOptions { Enabled = false });
        await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("delete_everything"), _backend.InvokeAsync, CancellationToken.None);

        _fixture.Policies.Set(new PolicyOptions());
        var refused = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("delete_everything"), _backend.InvokeAsync, CancellationToken.None);

        AssertRefusal(refused, GatewayErrorCodes.Forbidden);
        Assert.Equal(1, _backend.Calls);
        Assert.False(_fixture.Pipeline.IsVisible(PipelineFixture.Reader, CatalogItemKind.Tool, "delete_everything"));
    }

    [Fact]
    public async Task UnknownNameSpendsATokenAndIsAuditedAsRefusedUnknownTarget()
    {
        var unknown = JsonRpcRefusal.Error(GatewayErrorCodes.InvalidParams, "Unknown tool: read_nothing");

        var first = await _fixture.Pipeline.RefuseUnknownAsync(PipelineFixture.ToolCall("read_nothing", backend: null), unknown);
        var second = await _fixture.Pipeline.RefuseUnknownAsync(PipelineFixture.ToolCall("read_nothing", backend: null), unknown);

        Assert.Equal(unknown, first);
        AssertRefusal(second, GatewayErrorCodes.RateLimited);
        var audit = _fixture.DrainAudit();
        Assert.Equal([AuditStatus.UnknownTarget, AuditStatus.RateLimited], audit.Select(e => e.Status));
        Assert.Equal((AuditDecision.Refused, null, GatewayErrorCodes.InvalidParams, "read_nothing"),
            (audit[0].Decision, audit[0].Backend, audit[0].ErrorCode, audit[0].Target));
    }

    [Fact]
    public async Task NameOutsideTheClientsRolesIsForbiddenWhetherOrNotABackendOffersIt()
    {
        var unknown = JsonRpcRefusal.Error(GatewayErrorCodes.InvalidParams, "Unknown tool: delete_everything");

        var missing = await _fixture.Pipeline.RefuseUnknownAsync(PipelineFixture.ToolCall("delete_everything", backend: null), unknown);
        // Another client with the same roles: the first one's (client, tool) token went to the first call.
        var offered = await _fixture.Pipeline.InvokeAsync(
            PipelineFixture.ToolCall("delete_everything", client: PipelineFixture.Reader with { ClientId = "app-2" }), _backend.InvokeAsync, CancellationToken.None);

        AssertRefusal(missing, GatewayErrorCodes.Forbidden, "may not use tool 'delete_everything'");
        AssertRefusal(offered, GatewayErrorCodes.Forbidden, "may not use tool 'delete_everything'");
        Assert.Equal(0, _backend.Calls);
    }

    [Fact]
    public async Task GlobalKillSwitchRefusesUnknownNamesToo()
    {
        await _fixture.Commands.EngageAsync(KillSwitchScope.Global, "", "ops", null, CancellationToken.None);

        var result = await _fixture.Pipeline.RefuseUnknownAsync(PipelineFixture.ToolCall("read_nothing", backend: null),
            JsonRpcRefusal.Error(GatewayErrorCodes.InvalidParams, "Unknown tool: read_nothing"));

        AssertRefusal(result, GatewayErrorCodes.Killed);
    }

    [Fact]
    public async Task OpenCircuitNeverReachesTheBackendAndNamesIt()
    {
        var now = _fixture.Time.GetUtcNow();
        Assert.True(_fixture.Circuits.Apply(new CircuitStateChanged(
            1, "alpha", CircuitState.Open, CircuitState.Closed, 2, "probe failed", "monitor", now, now.AddSeconds(30))));

        var result = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo"), _backend.InvokeAsync, CancellationToken.None);

        var data = AssertRefusal(result, GatewayErrorCodes.CircuitOpen, "'alpha'");
        Assert.Equal("alpha", data.GetProperty("backend").GetString());
        Assert.Equal(2, data.GetProperty("tripCount").GetInt32());
        Assert.Equal(0, _backend.Calls);
        var audit = Assert.Single(_fixture.DrainAudit());
        Assert.Equal((AuditDecision.Refused, AuditStatus.CircuitOpen, GatewayErrorCodes.CircuitOpen), (audit.Decision, audit.Status, audit.ErrorCode));
    }

    [Fact]
    public async Task BackendFailuresSeenByThePipelineTripTheBreakerSoLaterCallsFailFast()
    {
        using var fixture = new PipelineFixture(o => o.CircuitBreaker.ConsecutiveFailures = 3);
        var broken = new CountingBackend(_ => throw new HttpRequestException("connection refused"));

        for (var i = 0; i < 3; i++)
        {
            await fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo"), broken.InvokeAsync, CancellationToken.None);
        }

        var fastFailed = await fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo"), broken.InvokeAsync, CancellationToken.None);

        AssertRefusal(fastFailed, GatewayErrorCodes.CircuitOpen);
        Assert.Equal(3, broken.Calls);
    }

    [Fact]
    public async Task BackendThatHangsPastItsTimeoutIsAnsweredWithBackendTimeout()
    {
        var hanging = new CountingBackend(async ct =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            throw new InvalidOperationException("unreachable");
        });

        var call = _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo"), hanging.InvokeAsync, CancellationToken.None).AsTask();
        Assert.False(call.IsCompleted);
        _fixture.Time.Advance(TimeSpan.FromSeconds(2));
        var result = await call;

        AssertRefusal(result, GatewayErrorCodes.BackendTimeout);
        Assert.True(result.BackendFailed);
        Assert.Equal("timeout", result.FailureKind);
        Assert.Equal(AuditStatus.Timeout, Assert.Single(_fixture.DrainAudit()).Status);
    }

    [Fact]
    public async Task BackendThatThrowsIsAnsweredWithBackendUnavailable()
    {
        var broken = new CountingBackend(_ => throw new HttpRequestException("connection refused"));

        var result = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo"), broken.InvokeAsync, CancellationToken.None);

        AssertRefusal(result, GatewayErrorCodes.BackendUnavailable, "connection refused");
        Assert.True(result.BackendFailed);
        Assert.Equal(AuditStatus.BackendUnavailable, Assert.Single(_fixture.DrainAudit()).Status);
    }

    [Fact]
    public async Task BackendJsonRpcErrorIsRelayedAndAuditedAsErrorNotFailure()
    {
        var erroring = new CountingBackend(_ => ValueTask.FromResult(
            new BackendResult("""{"code":-32602,"message":"bad"}"""u8.ToArray(), IsError: true, ErrorCode: -32602, BackendFailed: false)));

        var result = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo"), erroring.InvokeAsync, CancellationToken.None);

        Assert.Equal(-32602, result.ErrorCode);
        var audit = Assert.Single(_fixture.DrainAudit());
        Assert.Equal((AuditDecision.Allowed, AuditStatus.Error, -32602), (audit.Decision, audit.Status, audit.ErrorCode));
    }

    [Fact]
    public async Task CallsAfterShutdownBeganAreRefusedWhileAdmittedOnesFinish()
    {
        var release = new TaskCompletionSource();
        var slow = new CountingBackend(async _ =>
        {
            await release.Task;
            return new BackendResult(CountingBackend.OkResponse, false, null, false);
        });
        var admitted = _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo"), slow.InvokeAsync, CancellationToken.None).AsTask();

        _fixture.InFlight.StopAccepting();
        var refused = await _fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("read_file"), _backend.InvokeAsync, CancellationToken.None);
        Assert.False(_fixture.InFlight.Drained.IsCompleted);
        release.SetResult();

        Assert.False((await admitted).IsError);
        await _fixture.InFlight.Drained;
        AssertRefusal(refused, GatewayErrorCodes.ShuttingDown);
        Assert.Equal(0, _backend.Calls);
        Assert.Equal([AuditStatus.ShuttingDown, AuditStatus.Ok], _fixture.DrainAudit().Select(e => e.Status));
    }

    [Fact]
    public async Task RawArgumentsAreAuditedOnlyWhenConfigured()
    {
        using var fixture = new PipelineFixture(o => o.AuditRawArguments = true);

        await fixture.Pipeline.InvokeAsync(PipelineFixture.ToolCall("echo", arguments: """{"z":1, "a":[true,null]}"""), _backend.InvokeAsync, CancellationToken.None);

        Assert.Equal("""{"a":[true,null],"z":1}""", Assert.Single(fixture.DrainAudit()).Arguments);
    }

    [Fact]
    public void UnauthenticatedRequestRefusedAtTheEdgeIsAuditedWithoutAClient()
    {
        _fixture.Audit.RecordUnauthenticated("tools/call", "9", null, 80, "invalid API key");

        var audit = Assert.Single(_fixture.DrainAudit());
        Assert.Equal((AuditDecision.Refused, AuditStatus.Unauthenticated, GatewayErrorCodes.Unauthenticated, (string?)null),
            (audit.Decision, audit.Status, audit.ErrorCode, audit.ClientId));
    }

    [Fact]
    public void ListsShowOnlyItemsTheClientMayUse()
    {
        Assert.True(_fixture.Pipeline.IsVisible(PipelineFixture.Reader, CatalogItemKind.Tool, "read_file"));
        Assert.False(_fixture.Pipeline.IsVisible(PipelineFixture.Reader, CatalogItemKind.Tool, "write_file"));
        Assert.True(_fixture.Pipeline.IsVisible(PipelineFixture.Reader, CatalogItemKind.Resource, "file:///docs/a.md"));
        Assert.False(_fixture.Pipeline.IsVisible(PipelineFixture.Reader, CatalogItemKind.Prompt, "translate"));
    }

    private static JsonElement AssertRefusal(BackendResult result, int code, string? messageContains = null)
    {
        Assert.True(result.IsError);
        Assert.Equal(code, result.ErrorCode);
        var error = JsonDocument.Parse(result.Response).RootElement;
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        if (messageContains is not null)
        {
            Assert.Contains(messageContains, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        return error.TryGetProperty("data", out var data) ? data.Clone() : default;
    }
}
