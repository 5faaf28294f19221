using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Llm.Telemetry;
using Gateway.Proxy.Pipeline.KillSwitches;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Proxy.Tests.Llm;

/// <summary>The pipeline's stages on the LLM route, and what the relay changes (and does not) in bodies.</summary>
/// <remarks>Alone: its span test listens process-wide, and another class's LLM calls for the same model would count.</remarks>
[Collection(nameof(ProcessWideActivityListeners))]
public sealed class PolicyAndRelayTests
{
    private const string Chat = "/v1/chat/completions";

    private static StringContent Ask(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_client_over_its_token_budget_gets_429_with_Retry_After_in_its_APIs_shape_and_the_audit_says_why()
    {
        await using var env = await LlmTestEnvironment.StartAsync(s => s["Gateway:Clients:0:TokensPerMinute"] = "5");
        using var http = env.Http();

        using var first = await http.PostAsync("v1/chat/completions", Ask("""{"model":"chat","messages":[{"role":"user","content":"one two three"}]}"""));
        using var second = await http.PostAsync("v1/chat/completions", Ask("""{"model":"chat","messages":[{"role":"user","content":"again"}]}"""));
        using var third = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = Ask("""{"model":"claude","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"""),
            Headers = { { "anthropic-version", "2023-06-01" } },
        });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.NotNull(second.Headers.RetryAfter?.Delta);
        Assert.Equal("token_budget_exhausted", JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("rate_limit_error", JsonDocument.Parse(await third.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(1, env.Primary.Recorder.CountOf(Chat));
        var audited = await env.AuditedAsync(3);
        Assert.Equal(["ok", "rate_limited", "rate_limited"], audited.Select(e => e.Status));
        Assert.All(audited.Skip(1), e => Assert.Contains("Token budget", e.Detail, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_killed_model_is_refused_and_a_killed_provider_is_passed_over()
    {
        await using var env = await LlmTestEnvironment.StartAsync();
        var commands = env.Services.GetRequiredService<KillSwitchCommands>();
        using var http = env.Http();

        await commands.EngageAsync(KillSwitchScope.Provider, "primary", "ops", "maintenance", CancellationToken.None);
        using var fellBack = await http.PostAsync("v1/chat/completions", Ask("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""));
        await commands.EngageAsync(KillSwitchScope.Model, "chat", "ops", "incident", CancellationToken.None);
        using var killed = await http.PostAsync("v1/chat/completions", Ask("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.OK, fellBack.StatusCode);
        Assert.Equal("secondary", fellBack.Headers.GetValues("X-Gateway-Provider").Single());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, killed.StatusCode);
        Assert.Contains("the kill switch of model 'chat'", await killed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(env.Primary.Recorder.Requests);
        var calls = (await env.AuditedAsync(4)).Where(e => e.Decision != AuditDecision.Admin).ToList();
        Assert.Equal(["ok", "killed"], calls.Select(e => e.Status));
        Assert.Equal("killed", calls[0].Llm!.Attempts[0].Outcome);
    }

    [Fact]
    public async Task Unknown_fields_survive_both_ways_and_only_the_model_name_is_rewritten()
    {
        await using var env = await LlmTestEnvironment.StartAsync();
        const string body = """{ "x_client_field" : {"keep": [1, 2.50, "três"]}, "model":"chat", "messages":[{"role":"user","content":"hi"}],"temperature":0.10}""";

        using var response = await env.Http().PostAsync("v1/chat/completions", Ask(body));

        var sent = Assert.Single(env.Primary.Recorder.Requests).Body;
        Assert.Equal(body.Replace("\"model\":\"chat\"", "\"model\":\"fake-gpt\"", StringComparison.Ordinal), sent);
        Assert.Contains("\"x_fake_provider\":\"primary\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_without_usage_is_asked_for_usage_upstream_and_the_client_never_sees_the_extra_chunk()
    {
        await using var env = await LlmTestEnvironment.StartAsync();

        using var response = await env.Http().PostAsync("v1/chat/completions",
            Ask("""{"model":"chat","stream":true,"messages":[{"role":"user","content":"one two"}]}"""));
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.Contains("\"stream_options\":{\"include_usage\":true}", Assert.Single(env.Primary.Recorder.Requests).Body, StringComparison.Ordinal);
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.DoesNotContain(events, e => e.Contains("\"usage\":{", StringComparison.Ordinal));
        var audited = Assert.Single(await env.AuditedAsync(1));
        Assert.Equal((2L, 3L), (audited.Llm!.InputTokens, audited.Llm.OutputTokens));
    }

    [Fact]
    public async Task Each_provider_attempt_is_a_GenAI_client_span()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == LlmTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (spans) { spans.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);
        await using var env = await LlmTestEnvironment.StartAsync();
        env.Primary.Faults.Set(new FakeProvider.Faults.FaultPlan { Mode = FakeProvider.Faults.FaultMode.Error, Status = 503 });

        using var response = await env.Http().PostAsync("v1/chat/completions", Ask("""{"model":"chat","messages":[{"role":"user","content":"hi there"}]}"""));
        await env.AuditedAsync(1);

        List<Activity> mine;
        lock (spans)
        {
            mine = [.. spans.Where(s => (string?)s.GetTagItem("gateway.llm.requested_model") == "chat")];
        }

        Assert.Equal(["primary", "secondary"], mine.Select(s => (string?)s.GetTagItem("gateway.llm.provider")));
        Assert.All(mine, s => Assert.Equal(("chat fake-gpt", ActivityKind.Client, "chat", "openai"),
            (s.DisplayName, s.Kind, (string?)s.GetTagItem("gen_ai.operation.name"), (string?)s.GetTagItem("gen_ai.provider.name"))));
        Assert.Equal(ActivityStatusCode.Error, mine[0].Status);
        Assert.Equal(2L, mine[1].GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal("fake-gpt", mine[1].GetTagItem("gen_ai.response.model"));
        Assert.Null(mine[1].GetTagItem("gen_ai.input.messages"));
    }
}
