using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Contracts.Circuit;
using Gateway.Testing;
using StackExchange.Redis;

namespace Gateway.IntegrationTests.Circuit;

/// <summary>
/// Redis loses its data (a <c>FLUSHALL</c>: what a restart without persistence or a failover to an empty replica
/// leaves) under the whole system of two proxies and two monitors: no override is lost, each written back is audited
/// once with the reason, and the sequence of transitions moves on above every number issued before.
/// </summary>
[Collection(CircuitSystemTests.Name)]
public sealed class OverridesAfterRedisDataLossTests(CircuitSystemFixture system) : IAsyncLifetime
{
    private const string Reasserted = "re-asserted after Redis data loss";
    private const string KilledTool = CircuitSystemFixture.SlowBackend + "__flaky_echo";
    private static readonly Uri KillSwitch = new("/admin/kill-switches/backends/" + CircuitSystemFixture.SlowBackend, UriKind.Relative);

    public async Task InitializeAsync()
    {
        system.Flaky.Failing = false;
        await system.EnsureRunningAsync();
        Assert.True((await system.AdminAsync("reset")).IsSuccessStatusCode);
        await system.WaitForProxiesAsync("Closed");
    }

    public async Task DisposeAsync()
    {
        using var admin = system.App.CreateAdminClient("proxy");
        await admin.DeleteAsync(KillSwitch);
        await system.AdminAsync("reset");
    }

    [Fact]
    public async Task A_kill_switch_and_an_isolation_outlive_a_flush_on_every_replica_audited_as_reasserted_and_later_sequences_are_higher()
    {
        var since = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        using (var admin = system.App.CreateAdminClient("proxy"))
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync(KillSwitch, new { reason = "data loss test" })).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await system.AdminAsync("isolate")).StatusCode);
        await system.WaitForProxiesAsync("Isolated");
        foreach (var proxy in CircuitSystemFixture.Proxies)
        {
            await CircuitSystemFixture.WaitUntilAsync(async () => await KillSwitchesAsync(proxy) is { } names && names.Contains(CircuitSystemFixture.SlowBackend));
        }

        var before = await HighestSequenceAsync();

        using var redis = await ConnectionMultiplexer.ConnectAsync(await system.App.GetConnectionStringAsync("redis") + ",allowAdmin=true");
        await redis.GetServers()[0].FlushAllDatabasesAsync();

        // Written back to Redis: the kill switch by a proxy, the isolation by the leading monitor.
        await CircuitSystemFixture.WaitUntilAsync(async () =>
            await redis.GetDatabase().HashExistsAsync("gateway:kill-switches", "backend:" + CircuitSystemFixture.SlowBackend));
        await CircuitSystemFixture.WaitUntilAsync(async () =>
        {
            var entries = await redis.GetDatabase().HashGetAllAsync(CircuitSnapshotFormat.SnapshotKey(CircuitSnapshotFormat.DefaultKeyPrefix));
            var snapshot = CircuitSnapshotFormat.Parse(entries.Select(e => new KeyValuePair<string, string>(e.Name!, e.Value!)));
            return snapshot.Circuits.Any(c => c.Backend == CircuitSystemFixture.Backend && c.State == CircuitState.Isolated && c.Sequence > before);
        });

        foreach (var proxy in CircuitSystemFixture.Proxies)
        {
            Assert.Contains(CircuitSystemFixture.SlowBackend, await KillSwitchesAsync(proxy) ?? []);
            await CircuitSystemFixture.WaitUntilAsync(async () => await system.GateAsync(proxy) is { State: "Isolated" } gate && gate.LastAppliedSequence > before);
            using var session = new McpHttpSession(system.App.CreateAdminClient(proxy), "data-loss-tests");
            await session.InitializeAsync();
            var answer = await session.CallToolAsync(KilledTool);
            Assert.True(answer.TryGetProperty("error", out var error), answer.GetRawText());
            Assert.Equal(Contracts.GatewayErrorCodes.Killed, error.GetProperty("code").GetInt32());
        }

        var killSwitchAudit = await system.App.WaitForAuditAsync(
            e => e.GetProperty("detail").GetString()?.StartsWith(Reasserted, StringComparison.Ordinal) == true,
            $"from={since}&status=kill_switch_reasserted&backend={CircuitSystemFixture.SlowBackend}");
        Assert.Equal("gateway", killSwitchAudit.GetProperty("clientId").GetString());
        await system.App.WaitForAuditAsync(
            e => e.GetProperty("detail").GetString() == Reasserted,
            $"from={since}&method=circuit/transition&status=isolated&backend={CircuitSystemFixture.Backend}");

        // The next transition, an admin's reset, is numbered above everything issued before the loss, so every proxy takes it.
        Assert.Equal(HttpStatusCode.OK, (await system.AdminAsync("reset")).StatusCode);
        await system.WaitForProxiesAsync("Closed");
        Assert.True((await system.MonitorAsync(await system.LeaderAsync()))!.Sequence > before);

        Assert.Single(await system.App.AuditAsync($"from={since}&status=kill_switch_reasserted"));
        Assert.Single(await system.App.AuditAsync($"from={since}&method=circuit/transition&status=isolated&backend={CircuitSystemFixture.Backend}"), e => e.GetProperty("detail").GetString() == Reasserted);
    }

    /// <summary>The highest sequence any monitor or proxy replica has seen.</summary>
    private async Task<long> HighestSequenceAsync()
    {
        long highest = 0;
        foreach (var proxy in CircuitSystemFixture.Proxies)
        {
            highest = Math.Max(highest, (await system.GateAsync(proxy))?.LastAppliedSequence ?? 0);
        }

        foreach (var monitor in CircuitSystemFixture.Monitors)
        {
            highest = Math.Max(highest, (await system.MonitorAsync(monitor))?.Sequence ?? 0);
        }

        return highest;
    }

    /// <summary>The backend kill switches a proxy replica holds, or null when it does not answer.</summary>
    private async Task<IReadOnlyList<string>?> KillSwitchesAsync(string proxy)
    {
        using var admin = system.App.CreateAdminClient(proxy);
        using var response = await admin.GetAsync(new Uri("/admin/kill-switches", UriKind.Relative));
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. document.RootElement.EnumerateArray().Where(s => s.GetProperty("scope").GetString() == "backend").Select(s => s.GetProperty("name").GetString()!)];
    }
}
