using System.Net;
using System.Net.Http.Json;
using System.Text;
using Gateway.FakeProvider.Faults;
using static Gateway.FakeProvider.Tests.FakeHttp;

namespace Gateway.FakeProvider.Tests;

/// <summary>The <c>/fake</c> control API: what a test of a separate process (the AppHost's providers) uses.</summary>
public sealed class ControlApiTests
{
    private static Task<HttpResponseMessage> PutFaultAsync(HttpClient http, string json) =>
        http.PutAsync("/fake/fault", new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task Put_fault_sets_the_same_plan_as_the_in_process_object()
    {
        await using var server = await FakeProviderServer.StartAsync();
        using var http = Client(server);

        using var put = await PutFaultAsync(http, """{"mode":"rate-limit","retryAfterSeconds":9,"count":2,"paths":["/v1/chat/completions"]}""");
        using var limited = await http.PostAsync(Chat, ChatBody);

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(new FaultPlan { Mode = FaultMode.RateLimit, RetryAfterSeconds = 9, Count = 2, Paths = server.Faults.Current.Paths }, server.Faults.Current);
        Assert.Equal(["/v1/chat/completions"], server.Faults.Current.Paths!);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        var state = await (await http.GetAsync("/fake/fault")).JsonAsync();
        Assert.Equal("rate-limit", state.GetProperty("fault").GetProperty("mode").GetString());
        Assert.Equal(1, state.GetProperty("remaining").GetInt32());
    }

    [Fact]
    public async Task Delete_fault_clears_it()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Faults.Set(Fault(FaultMode.Hang));
        using var http = Client(server);

        using var deleted = await http.DeleteAsync("/fake/fault");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(FaultMode.None, server.Faults.Current.Mode);
    }

    [Theory]
    [InlineData("""{"mode":"bogus"}""")]
    [InlineData("""{"mode":"error","status":200}""")]
    [InlineData("""{"mode":"latency","latency_ms":5}""")]
    [InlineData("""{"mode":"error","paths":["v1/models"]}""")]
    [InlineData("""{"mode":"error","count":0}""")]
    [InlineData("not json")]
    [InlineData("null")]
    public async Task An_invalid_plan_is_refused_with_400_and_changes_nothing(string json)
    {
        await using var server = await FakeProviderServer.StartAsync();
        using var http = Client(server);

        using var put = await PutFaultAsync(http, json);

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.NotEmpty((await put.JsonAsync()).GetProperty("errors").EnumerateArray());
        Assert.Equal(FaultMode.None, server.Faults.Current.Mode);
    }

    [Fact]
    public async Task Get_requests_shows_the_recorded_requests_counts_and_maxima_and_delete_clears_them()
    {
        await using var server = await FakeProviderServer.StartAsync();
        using var http = Client(server);
        using var chat = await http.PostAsync(Chat, ChatBody);

        var recorded = await (await http.GetAsync("/fake/requests")).JsonAsync();
        using var deleted = await http.DeleteAsync("/fake/requests");

        var request = Assert.Single(recorded.GetProperty("requests").EnumerateArray());
        Assert.Equal(ChatBody, request.GetProperty("body").GetString());
        Assert.Equal("application/json; charset=utf-8", request.GetProperty("headers").GetProperty("Content-Type").GetString());
        Assert.Equal(1, recorded.GetProperty("counts").GetProperty(Chat).GetInt32());
        Assert.Equal(1, recorded.GetProperty("maxInFlight").GetProperty(Chat).GetInt32());
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(server.Recorder.Requests);
    }

    [Fact]
    public async Task Every_response_names_the_instance()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeProviderOptions { Name = "llm-secondary" });
        using var http = Client(server);

        using var models = await http.GetAsync(Models);
        using var control = await http.GetAsync("/fake/fault");

        Assert.Equal("llm-secondary", Assert.Single(models.Headers.GetValues("x-fake-provider")));
        Assert.Equal("llm-secondary", Assert.Single(control.Headers.GetValues("x-fake-provider")));
        Assert.Equal("llm-secondary", (await models.JsonAsync()).GetProperty("x_fake_provider").GetString());
    }

    [Fact]
    public async Task A_configured_key_refuses_openai_requests_without_the_bearer_token_in_openai_shape()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeProviderOptions { ApiKey = "right" });
        using var http = Client(server);
        using var withKey = new HttpRequestMessage(HttpMethod.Get, Models) { Headers = { Authorization = new("Bearer", "right") } };
        using var xApiKeyOnChat = new HttpRequestMessage(HttpMethod.Post, Chat) { Content = new StringContent(ChatBody), Headers = { { "x-api-key", "right" } } };

        using var without = await http.GetAsync(Models);
        using var with = await http.SendAsync(withKey);
        using var wrongHeader = await http.SendAsync(xApiKeyOnChat);

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal("invalid_api_key", (await without.JsonAsync()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongHeader.StatusCode);
    }

    [Fact]
    public async Task An_unknown_v1_path_is_404_in_openai_shape()
    {
        await using var server = await FakeProviderServer.StartAsync();
        using var http = Client(server);

        using var response = await http.GetAsync("/v1/nothing/here");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("invalid_request_error", (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("error").GetProperty("type").GetString());
    }
}
