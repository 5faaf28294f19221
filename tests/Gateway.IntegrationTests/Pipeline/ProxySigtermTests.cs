using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.AppHost.Configuration;
using Gateway.Contracts;
using Gateway.IntegrationTests.Circuit;
using Gateway.Testing.Aspire;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests.Pipeline;

/// <summary>
/// SIGTERM to one proxy replica's service process while clients call tools through its <c>/mcp</c>: the whole system
/// (the AppHost's model, real RabbitMQ, the audit service on SQLite), shared with the circuit tests, and its backend
/// <c>slow</c>, slow enough that calls are always in flight.
/// </summary>
[Collection(CircuitSystemTests.Name)]
public sealed class ProxySigtermTests(CircuitSystemFixture system, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Workers = 12;
    private const string Proxy = "proxy";
    private const string Tool = CircuitSystemFixture.SlowBackend + "__flaky_echo";

    public Task InitializeAsync() => system.EnsureRunningAsync();

    /// <summary>The replica stopped on purpose stays stopped (exit code 0); the tests after this one need it back.</summary>
    public Task DisposeAsync() => system.EnsureRunningAsync();

    [Fact]
    public async Task Sigterm_during_load_answers_every_accepted_call_exits_zero_and_every_audit_event_is_stored()
    {
        system.Slow.ToolCallDelay = TimeSpan.FromMilliseconds(300);
        var app = system.App;
        // The service itself, as an orchestrator stopping a container signals its main process; not DCP's dotnet-run wrapper.
        var proxyPid = await app.ProcessIdAsync(Proxy) ?? throw new InvalidOperationException("proxy is not running");
        using var proxy = app.CreateAdminClient(Proxy);
        proxy.Timeout = TimeSpan.FromSeconds(60);

        var sessions = new string[Workers];
        for (var worker = 0; worker < Workers; worker++)
        {
            sessions[worker] = await InitializeAsync(proxy);
        }

        await WaitForToolAsync(proxy, sessions[0]);

        var outcomes = new ConcurrentDictionary<long, Outcome>();
        var sigtermSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var load = Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            for (var n = 0; ; n++)
            {
                var id = (worker * 1_000_000L) + n;
                var outcome = await CallAsync(proxy, sessions[worker], id);
                outcomes[id] = outcome;
                if (outcome.Kind == OutcomeKind.NotConnected || outcome.Kind == OutcomeKind.Failed && sigtermSent.Task.IsCompleted)
                {
                    return; // the proxy is gone (or going): nothing more to send
                }
            }
        })).ToArray();

        // Let every worker have calls in flight, then stop the proxy the way an orchestrator does.
        await WaitUntilAsync(() => outcomes.Values.Count(o => o.Kind == OutcomeKind.Result) >= Workers * 3, TimeSpan.FromSeconds(60));
        GatewayTestApp.Terminate(proxyPid);

        var sentAt = DateTimeOffset.UtcNow;
        sigtermSent.SetResult();
        await Task.WhenAll(load).WaitAsync(TimeSpan.FromSeconds(120));
        var exited = await app.WaitForStoppedAsync(Proxy);

        Assert.Equal(0, exited.ExitCode);

        // Calls that finished after SIGTERM were in flight when it came: without them the test proves nothing.
        Assert.Contains(outcomes.Values, o => o.Kind == OutcomeKind.Result && o.At > sentAt);
        var unexpected = outcomes.Where(o => o.Value.Kind == OutcomeKind.Unexpected).ToArray();
        Assert.True(unexpected.Length == 0, "unexpected answers: " + string.Join("; ", unexpected.Take(5).Select(o => $"{o.Key}: {o.Value.Detail}")));

        // Every call the gateway answered was audited, and the audit service stored it; a call that failed on the
        // wire must not have been accepted (audited) by the gateway: an accepted call never loses its answer.
        var answered = outcomes.Where(o => o.Value.Kind is OutcomeKind.Result or OutcomeKind.ShuttingDown).Select(o => o.Key).ToHashSet();
        var failed = outcomes.Where(o => o.Value.Kind == OutcomeKind.Failed).ToDictionary(o => o.Key, o => o.Value.Detail);
        HashSet<long> audited = [];
        await WaitUntilAsync(async () =>
        {
            audited = await AuditedRequestIdsAsync(app);
            return answered.IsSubsetOf(audited);
        }, TimeSpan.FromSeconds(120), () => $"{answered.Except(audited).Count()} of {answered.Count} answered calls not in the audit log");

        output.WriteLine($"results before SIGTERM {outcomes.Values.Count(o => o.Kind == OutcomeKind.Result && o.At <= sentAt)}, after {outcomes.Values.Count(o => o.Kind == OutcomeKind.Result && o.At > sentAt)}; "
            + $"shutting down {outcomes.Values.Count(o => o.Kind == OutcomeKind.ShuttingDown)}; not connected {outcomes.Values.Count(o => o.Kind == OutcomeKind.NotConnected)}; "
            + $"failed {failed.Count} ({string.Join(", ", failed.Values.Distinct().Take(3))}); audited {audited.Count}");
        var lost = failed.Where(f => audited.Contains(f.Key)).ToArray();
        Assert.True(lost.Length == 0, "accepted calls whose answer was dropped: " + string.Join("; ", lost.Take(5).Select(f => $"{f.Key}: {f.Value}")));
    }

    private static async Task<string> InitializeAsync(HttpClient proxy)
    {
        using var response = await PostAsync(proxy, null,
            """{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sigterm-test","version":"1"}}}""");
        response.EnsureSuccessStatusCode();
        var session = response.Headers.GetValues("Mcp-Session-Id").Single();
        using var initialized = await PostAsync(proxy, session, """{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        return session;
    }

    /// <summary>The catalog is read in the background at start; calls before it lists the tool would be refused.</summary>
    private static Task WaitForToolAsync(HttpClient proxy, string session) => WaitUntilAsync(async () =>
    {
        using var response = await PostAsync(proxy, session, """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""");
        return (await response.Content.ReadAsStringAsync()).Contains(Tool, StringComparison.Ordinal);
    }, TimeSpan.FromSeconds(60));

    private static async Task<Outcome> CallAsync(HttpClient proxy, string session, long id)
    {
        HttpResponseMessage response;
        try
        {
            response = await PostAsync(proxy, session,
                JsonSerializer.Serialize(new { jsonrpc = "2.0", id, method = "tools/call", @params = new { name = Tool, arguments = new { n = id } } }));
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError)
        {
            return new Outcome(OutcomeKind.NotConnected, ex.Message, DateTimeOffset.UtcNow);
        }
        catch (HttpRequestException ex)
        {
            return new Outcome(OutcomeKind.Failed, $"{ex.HttpRequestError}: {ex.Message}", DateTimeOffset.UtcNow);
        }
        catch (TaskCanceledException ex)
        {
            // DCP's endpoint proxy accepts connections for a stopped service and never answers them.
            return new Outcome(OutcomeKind.Failed, $"no answer: {ex.Message}", DateTimeOffset.UtcNow);
        }

        using (response)
        {
            string body;
            try
            {
                body = await response.Content.ReadAsStringAsync();
            }
            catch (HttpRequestException ex)
            {
                return new Outcome(OutcomeKind.Failed, $"body: {ex.HttpRequestError}: {ex.Message}", DateTimeOffset.UtcNow);
            }
            catch (TaskCanceledException ex)
            {
                return new Outcome(OutcomeKind.Failed, $"body: no answer: {ex.Message}", DateTimeOffset.UtcNow);
            }

            var at = DateTimeOffset.UtcNow;
            try
            {
                using var document = JsonDocument.Parse(body);
                var root = document.RootElement;
                if (root.TryGetProperty("result", out _) && root.GetProperty("id").GetInt64() == id)
                {
                    return new Outcome(OutcomeKind.Result, "", at);
                }

                if (root.TryGetProperty("error", out var error) && error.GetProperty("code").GetInt32() == GatewayErrorCodes.ShuttingDown)
                {
                    return new Outcome(OutcomeKind.ShuttingDown, "", at);
                }
            }
            catch (JsonException)
            {
            }

            return new Outcome(OutcomeKind.Unexpected, $"{(int)response.StatusCode} {body}", at);
        }
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient proxy, string? session, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/mcp", UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        return await proxy.SendAsync(request);
    }

    /// <summary>Request ids of every <c>tools/call</c> audit record of the admin client to the slow backend (this test's calls only), all pages.</summary>
    private static async Task<HashSet<long>> AuditedRequestIdsAsync(GatewayTestApp app)
    {
        using var audit = app.CreateAdminClient("audit");
        var ids = new HashSet<long>();
        string? cursor = null;
        do
        {
            var query = $"/api/audit?client={GatewayConfigurationResource.AdminClientId}&backend={CircuitSystemFixture.SlowBackend}&method=tools/call&limit=1000"
                + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            using var page = JsonDocument.Parse(await audit.GetStringAsync(new Uri(query, UriKind.Relative)));
            foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
            {
                if (item.GetProperty("requestId").GetString() is { } requestId && long.TryParse(requestId, CultureInfo.InvariantCulture, out var id))
                {
                    ids.Add(id);
                }
            }

            cursor = page.RootElement.TryGetProperty("nextCursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);

        return ids;
    }

    private static Task WaitUntilAsync(Func<bool> condition, TimeSpan limit) =>
        WaitUntilAsync(() => Task.FromResult(condition()), limit);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit, Func<string>? describe = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        while (!await condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException(describe?.Invoke() ?? $"condition not met within {limit}");
            }

            await Task.Delay(100);
        }
    }

    private enum OutcomeKind
    {
        /// <summary>The JSON-RPC result of this call.</summary>
        Result,

        /// <summary>The documented refusal (-32010) of a call that arrived after shutdown began.</summary>
        ShuttingDown,

        /// <summary>No connection could be made: the proxy had stopped listening, the call was never accepted.</summary>
        NotConnected,

        /// <summary>
        /// The exchange broke after connecting, or no answer came before the client's timeout; allowed only for calls
        /// the gateway never accepted (audited).
        /// </summary>
        Failed,

        /// <summary>An HTTP answer that is neither: always a bug.</summary>
        Unexpected,
    }

    private sealed record Outcome(OutcomeKind Kind, string Detail, DateTimeOffset At);
}
