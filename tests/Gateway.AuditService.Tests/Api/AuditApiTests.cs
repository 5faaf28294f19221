using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.AuditService.Tests.Infrastructure;
using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Tests.Api;

public sealed class AuditApiTests(AuditServiceFactory factory) : IClassFixture<AuditServiceFactory>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    // Each test works in its own client id, so tests sharing the factory's database never see each other's rows.
    private readonly string _client = "client-" + Guid.NewGuid().ToString("N")[..8];

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("wrong-key", HttpStatusCode.Unauthorized)]
    [InlineData(AuditServiceFactory.CallerKey, HttpStatusCode.Forbidden)]
    [InlineData(AuditServiceFactory.AuditorKey, HttpStatusCode.OK)]
    [InlineData(AuditServiceFactory.AdminKey, HttpStatusCode.OK)]
    public async Task Only_auditors_and_admins_may_read(string? key, HttpStatusCode expected)
    {
        using var http = key is null ? factory.CreateClient() : factory.CreateClient(key);

        foreach (var path in new[] { "/api/audit", "/api/audit/export", "/api/audit/stats" })
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(expected, response.StatusCode);
        }
    }

    [Theory]
    [InlineData("attacker.example", null)]
    [InlineData("localhost", "http://attacker.example")]
    public async Task A_foreign_host_or_origin_is_refused_even_for_an_auditor(string host, string? origin)
    {
        using var http = factory.CreateClient(AuditServiceFactory.AuditorKey);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/audit");
        request.Headers.Host = host;
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("DNS rebinding", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_filters_and_pages_with_an_opaque_cursor()
    {
        var events = SampleEvents.Stream(5, client: _client);
        events.Add(SampleEvents.Call(client: _client, status: "forbidden", decision: AuditDecision.Refused, errorCode: -32003));
        await factory.Store.AppendAsync(events, default);
        using var http = factory.CreateClient(AuditServiceFactory.AuditorKey);

        var first = await GetPageAsync(http, $"/api/audit?client={_client}&status=ok&limit=3");
        var second = await GetPageAsync(http, $"/api/audit?client={_client}&status=ok&limit=3&cursor={first.NextCursor}");
        var refused = await GetPageAsync(http, $"/api/audit?client={_client}&decision=Refused&errorCode=-32003");

        Assert.Equal(events.Take(5).Reverse().Select(e => e.EventId), first.Items.Concat(second.Items).Select(e => e.EventId));
        Assert.NotNull(first.NextCursor);
        Assert.Null(second.NextCursor);
        Assert.Equal(events[5], Assert.Single(refused.Items));
    }

    [Theory]
    [InlineData("/api/audit?cursor=not-a-cursor")]
    [InlineData("/api/audit?limit=0")]
    [InlineData("/api/audit?limit=1001")]
    [InlineData("/api/audit/export?format=xml")]
    [InlineData("/api/audit/stats?window=forever")]
    [InlineData("/api/audit/stats?window=2d")]
    public async Task A_malformed_query_is_a_bad_request(string path)
    {
        using var http = factory.CreateClient(AuditServiceFactory.AuditorKey);

        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task One_event_is_fetched_by_id()
    {
        var e = SampleEvents.Call(client: _client);
        await factory.Store.AppendAsync([e], default);
        using var http = factory.CreateClient(AuditServiceFactory.AdminKey);

        var found = await http.GetFromJsonAsync<AuditEvent>(new Uri($"/api/audit/{e.EventId}", UriKind.Relative), Json);

        Assert.Equal(e, found);
        using var missing = await http.GetAsync(new Uri($"/api/audit/{Guid.NewGuid()}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Ndjson_export_has_one_event_per_line_for_the_filter()
    {
        var events = SampleEvents.Stream(1200, client: _client);
        await factory.Store.AppendAsync(events, default);
        using var http = factory.CreateClient(AuditServiceFactory.AuditorKey);

        using var response = await http.GetAsync(new Uri($"/api/audit/export?format=ndjson&client={_client}", UriKind.Relative));
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(events.AsEnumerable().Reverse(), lines.Select(line => JsonSerializer.Deserialize<AuditEvent>(line, Json)));
    }

    [Fact]
    public async Task Csv_export_has_a_header_and_quotes_fields_that_need_it()
    {
        var e = SampleEvents.Call(client: _client) with { Detail = "said \"no\", twice\nthen left" };
        await factory.Store.AppendAsync([e], default);
        using var http = factory.CreateClient(AuditServiceFactory.AuditorKey);

        using var response = await http.GetAsync(new Uri($"/api/audit/export?format=csv&client={_client}", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("eventId,timestamp,source,requestId,sessionId,clientId,method,target,backend,decision,status,errorCode,latencyMs,", text, StringComparison.Ordinal);
        Assert.EndsWith(
            $"{e.EventId},{Iso(e.Timestamp)},proxy/test,7,session-1,{_client},tools/call,echo,everything,Allowed,ok,,12.5,321,{new string('a', 64)},,\"said \"\"no\"\", twice\nthen left\",,,,,,,\r\n",
            text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Csv_export_neutralises_cells_a_spreadsheet_would_run_as_formulas_but_keeps_numbers()
    {
        var e = SampleEvents.Call(client: _client) with
        {
            Target = "=HYPERLINK(\"http://x\",\"y\")",
            Backend = "+1",
            RequestId = "@SUM(A1)",
            Detail = "-2+3",
            SessionId = "\tx",
            Arguments = "\rx",
            ErrorCode = -32005,
        };
        await factory.Store.AppendAsync([e], default);
        using var http = factory.CreateClient(AuditServiceFactory.AuditorKey);

        using var response = await http.GetAsync(new Uri($"/api/audit/export?format=csv&client={_client}", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.EndsWith(
            $"{e.EventId},{Iso(e.Timestamp)},proxy/test,'@SUM(A1),'\tx,{_client},tools/call,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+1,Allowed,ok,-32005,12.5,321,{new string('a', 64)},\"'\rx\",'-2+3,,,,,,,\r\n",
            text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_cover_the_requested_window()
    {
        var to = SampleEvents.Epoch.AddYears(-1);
        var backend = "stats-" + _client;
        await factory.Store.AppendAsync(
            [SampleEvents.Call(at: to.AddMinutes(-3), backend: backend, latencyMs: 40), SampleEvents.Call(at: to.AddMinutes(-30), backend: backend)],
            default);
        using var http = factory.CreateClient(AuditServiceFactory.AuditorKey);

        using var response = await http.GetAsync(new Uri($"/api/audit/stats?window=5m&to={Uri.EscapeDataString(to.ToString("O"))}", UriKind.Relative));
        using var stats = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var latency = Assert.Single(stats.RootElement.GetProperty("latency").EnumerateArray(), b => b.GetProperty("backend").GetString() == backend);
        Assert.Equal(1, latency.GetProperty("calls").GetInt64());
        Assert.Equal(40, latency.GetProperty("p99").GetDouble());
    }

    [Fact]
    public async Task An_llm_request_is_served_with_its_llm_object_and_found_by_requested_model_and_provider()
    {
        var e = SampleEvents.LlmCall(client: _client);
        await factory.Store.AppendAsync([e, SampleEvents.Call(client: _client)], default);
        using var http = factory.CreateClient(AuditServiceFactory.AuditorKey);

        using var response = await http.GetAsync(new Uri($"/api/audit?client={_client}&target=demo-chat&backend=anthropic-b", UriKind.Relative));
        using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var found = await http.GetFromJsonAsync<AuditEvent>(new Uri($"/api/audit/{e.EventId}", UriKind.Relative), Json);

        var llm = Assert.Single(page.RootElement.GetProperty("items").EnumerateArray()).GetProperty("llm");
        Assert.Equal("claude-haiku-4-5", llm.GetProperty("upstreamModel").GetString());
        Assert.True(llm.GetProperty("streamed").GetBoolean());
        Assert.Equal(183.25, llm.GetProperty("timeToFirstByteMs").GetDouble());
        Assert.Equal(120, llm.GetProperty("inputTokens").GetInt64());
        Assert.Equal(48, llm.GetProperty("outputTokens").GetInt64());
        Assert.Equal(
            """[{"provider":"openai-a","model":"gpt-4o-mini","outcome":"unavailable","httpStatus":503},{"provider":"anthropic-b","model":"claude-haiku-4-5","outcome":"ok","httpStatus":200}]""",
            llm.GetProperty("attempts").GetRawText());
        EventAssert.Same(e, found);
    }

    [Fact]
    public async Task Exports_carry_the_llm_columns_and_leave_them_empty_for_other_events()
    {
        var llm = SampleEvents.LlmCall(client: _client, outputTokens: null) with { Timestamp = SampleEvents.Epoch.AddSeconds(1) };
        var tool = SampleEvents.Call(client: _client);
        await factory.Store.AppendAsync([llm, tool], default);
        using var http = factory.CreateClient(AuditServiceFactory.AuditorKey);

        using var csv = await http.GetAsync(new Uri($"/api/audit/export?format=csv&client={_client}", UriKind.Relative));
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        using var ndjson = await http.GetAsync(new Uri($"/api/audit/export?format=ndjson&client={_client}", UriKind.Relative));
        var exported = (await ndjson.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonSerializer.Deserialize<AuditEvent>(line, Json)!).ToList();

        Assert.EndsWith(",detail,user,upstreamModel,streamed,ttfbMs,inputTokens,outputTokens,attempts", lines[0], StringComparison.Ordinal);
        Assert.Equal(3, lines.Length);
        Assert.EndsWith(
            ",claude-haiku-4-5,true,183.25,120,," +
            "\"[{\"\"provider\"\":\"\"openai-a\"\",\"\"model\"\":\"\"gpt-4o-mini\"\",\"\"outcome\"\":\"\"unavailable\"\",\"\"httpStatus\"\":503}," +
            "{\"\"provider\"\":\"\"anthropic-b\"\",\"\"model\"\":\"\"claude-haiku-4-5\"\",\"\"outcome\"\":\"\"ok\"\",\"\"httpStatus\"\":200}]\"",
            lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",,,,,,,", lines[2], StringComparison.Ordinal);
        EventAssert.Same([llm, tool], exported);
    }

    [Fact]
    public async Task Stats_sum_llm_tokens_per_client_and_requested_model()
    {
        var to = SampleEvents.Epoch.AddYears(-2);
        await factory.Store.AppendAsync(
        [
            SampleEvents.LlmCall(at: to.AddMinutes(-2), client: _client, inputTokens: 100, outputTokens: 10),
            SampleEvents.LlmCall(at: to.AddMinutes(-1), client: _client, inputTokens: 50, outputTokens: 5),
        ], default);
        using var http = factory.CreateClient(AuditServiceFactory.AuditorKey);

        using var response = await http.GetAsync(new Uri($"/api/audit/stats?window=5m&to={Uri.EscapeDataString(to.ToString("O"))}", UriKind.Relative));
        using var stats = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var usage = Assert.Single(stats.RootElement.GetProperty("tokens").EnumerateArray(), u => u.GetProperty("clientId").GetString() == _client);
        Assert.Equal("demo-chat", usage.GetProperty("model").GetString());
        Assert.Equal(2, usage.GetProperty("requests").GetInt64());
        Assert.Equal(150, usage.GetProperty("inputTokens").GetInt64());
        Assert.Equal(15, usage.GetProperty("outputTokens").GetInt64());
    }

    /// <summary>A timestamp as the export writes it (round-trip format, UTC).</summary>
    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static async Task<Page> GetPageAsync(HttpClient http, string path) =>
        (await http.GetFromJsonAsync<Page>(new Uri(path, UriKind.Relative), Json))!;

    private sealed record Page(List<AuditEvent> Items, string? NextCursor);
}
