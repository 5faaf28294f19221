using System.ClientModel;
using System.Net;
using System.Text;
using Gateway.Contracts.Circuit;
using Gateway.FakeProvider.Faults;
using Gateway.Proxy.Circuit;
using Gateway.Proxy.Llm.Relay;
using Gateway.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;

namespace Gateway.Proxy.Tests.Llm;

/// <summary>
/// A failing provider costs the client time, not an error: the next target answers, the failing provider's circuit
/// opens and closes again through one probe. Counted on the fakes' recorders, never timed.
/// </summary>
public sealed class FallbackTests
{
    private const string Chat = "/v1/chat/completions";

    [Theory]
    [InlineData(FaultMode.Error, AttemptOutcome.Unavailable)]
    [InlineData(FaultMode.GarbageJson, AttemptOutcome.Protocol)]
    [InlineData(FaultMode.Hang, AttemptOutcome.Timeout)]
    public async Task A_failing_first_target_is_passed_over_before_the_first_byte(FaultMode fault, string outcome)
    {
        await using var env = await LlmTestEnvironment.StartAsync();
        env.Primary.Faults.Set(new FaultPlan { Mode = fault, Status = 503 });

        var result = await env.OpenAI().GetChatClient("chat").CompleteChatAsync([new UserChatMessage("hello")]);

        Assert.Equal("echo: hello", result.Value.Content[0].Text);
        Assert.Equal("secondary", result.GetRawResponse().Headers.TryGetValue(LlmHeaders.Provider, out var provider) ? provider : null);
        var audited = Assert.Single(await env.AuditedAsync(1));
        Assert.Equal(("ok", "secondary"), (audited.Status, audited.Backend));
        Assert.Equal([("primary", outcome), ("secondary", AttemptOutcome.Ok)], audited.Llm!.Attempts.Select(a => (a.Provider, a.Outcome)));
    }

    [Fact]
    public async Task A_provider_hanging_on_one_clients_request_does_not_hold_up_another_client()
    {
        // The hanging request waits out a long first-byte timeout: it is still upstream when the other client is answered.
        await using var env = await LlmTestEnvironment.StartAsync(s => s["Gateway:Providers:0:FirstByteTimeout"] = "00:05:00");
        env.Primary.Faults.Set(new FaultPlan { Mode = FaultMode.Hang, Paths = [Chat] });

        var stuck = env.OpenAI().GetChatClient("chat").CompleteChatAsync([new UserChatMessage("hello")]);
        await Eventually.TrueAsync(() => Task.FromResult(env.Primary.Recorder.InFlightOf(Chat) == 1), TimeSpan.FromSeconds(30), "the chat request hangs upstream");
        var embedding = await env.OpenAI(LlmTestEnvironment.EmbedderKey).GetEmbeddingClient("embed").GenerateEmbeddingAsync("meanwhile");

        Assert.Equal(8, embedding.Value.ToFloats().Length);
        Assert.False(stuck.IsCompleted);
        Assert.Equal(1, env.Primary.Recorder.InFlightOf(Chat));
    }

    [Fact]
    public async Task A_malformed_event_midway_ends_the_stream_in_an_error_and_is_not_retried()
    {
        await using var env = await LlmTestEnvironment.StartAsync();
        env.Primary.Faults.Set(new FaultPlan { Mode = FaultMode.MalformedSse });

        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var update in env.OpenAI().GetChatClient("chat").CompleteChatStreamingAsync([new UserChatMessage("one two")]))
            {
            }
        });

        Assert.NotNull(error);
        Assert.Equal(0, env.Secondary.Recorder.CountOf(Chat));
        var audited = Assert.Single(await env.AuditedAsync(1));
        Assert.Equal("stream_cut", audited.Status);
        Assert.Equal(AttemptOutcome.Protocol, Assert.Single(audited.Llm!.Attempts).Outcome);
    }

    [Fact]
    public async Task Stopping_the_first_provider_keeps_requests_succeeding_and_opens_its_circuit_until_one_probe_closes_it()
    {
        await using var env = await LlmTestEnvironment.StartAsync();
        var chat = env.OpenAI().GetChatClient("chat");
        var circuits = env.Services.GetRequiredService<CircuitBreakerRegistry>();
        env.Primary.Faults.Set(new FaultPlan { Mode = FaultMode.Error, Status = 503 });

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("echo: hello", (await chat.CompleteChatAsync([new UserChatMessage("hello")])).Value.Content[0].Text);
        }

        // Two failures open the circuit (the configured threshold); the other four never reach the primary.
        Assert.Equal(2, env.Primary.Recorder.CountOf(Chat));
        Assert.Equal(CircuitState.Open, circuits.GetState("primary"));
        var audited = await env.AuditedAsync(6);
        Assert.Equal(4, audited.Count(e => e.Llm!.Attempts[0].Outcome == AttemptOutcome.CircuitOpen));

        env.Primary.Faults.Clear();
        env.Primary.Recorder.Clear();
        await BreakOverAsync();
        var probe = await chat.CompleteChatAsync([new UserChatMessage("again")]);

        Assert.Equal("primary", probe.GetRawResponse().Headers.TryGetValue(LlmHeaders.Provider, out var provider) ? provider : null);
        Assert.Equal(CircuitState.Closed, circuits.GetState("primary"));
        Assert.Equal(1, env.Primary.Recorder.CountOf(Chat));
    }

    [Fact]
    public async Task While_half_open_concurrent_requests_send_exactly_one_probe_upstream()
    {
        await using var env = await LlmTestEnvironment.StartAsync();
        var chat = env.OpenAI().GetChatClient("chat");
        var circuits = env.Services.GetRequiredService<CircuitBreakerRegistry>();
        env.Primary.Faults.Set(new FaultPlan { Mode = FaultMode.Error, Status = 503 });
        for (var i = 0; i < 2; i++)
        {
            await chat.CompleteChatAsync([new UserChatMessage("trip")]);
        }

        Assert.Equal(CircuitState.Open, circuits.GetState("primary"));
        env.Primary.Recorder.Clear();
        await BreakOverAsync();

        // The probe fails slowly: the other callers wait for its verdict, then fall back without calling the primary.
        env.Primary.Faults.Set(new FaultPlan { Mode = FaultMode.Error, Status = 503 });
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => chat.CompleteChatAsync([new UserChatMessage($"n{i}")])));

        Assert.All(answers, a => Assert.StartsWith("echo: n", a.Value.Content[0].Text, StringComparison.Ordinal));
        Assert.Equal(1, env.Primary.Recorder.CountOf(Chat));
        Assert.Equal(8, env.Secondary.Recorder.CountOf(Chat) - 2);
    }

    [Fact]
    public async Task A_429_with_Retry_After_keeps_the_provider_out_of_rotation_without_opening_its_circuit()
    {
        await using var env = await LlmTestEnvironment.StartAsync();
        var chat = env.OpenAI().GetChatClient("chat");
        env.Primary.Faults.Set(new FaultPlan { Mode = FaultMode.RateLimit, RetryAfterSeconds = 60 });

        for (var i = 0; i < 3; i++)
        {
            await chat.CompleteChatAsync([new UserChatMessage("hello")]);
        }

        Assert.Equal(1, env.Primary.Recorder.CountOf(Chat));
        Assert.Equal(CircuitState.Closed, env.Services.GetRequiredService<CircuitBreakerRegistry>().GetState("primary"));
        var audited = await env.AuditedAsync(3);
        Assert.Equal([AttemptOutcome.RateLimited, AttemptOutcome.Throttled, AttemptOutcome.Throttled], audited.Select(e => e.Llm!.Attempts[0].Outcome));
    }

    [Fact]
    public async Task When_every_target_is_refused_one_error_names_each_target_and_why()
    {
        await using var env = await LlmTestEnvironment.StartAsync();
        env.Primary.Faults.Set(new FaultPlan { Mode = FaultMode.Error, Status = 500 });
        env.Secondary.Faults.Set(new FaultPlan { Mode = FaultMode.RateLimit, RetryAfterSeconds = 30 });

        using var response = await env.Http().PostAsync("v1/chat/completions",
            new StringContent("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"code\":\"upstream_unavailable\"", body, StringComparison.Ordinal);
        Assert.Contains("primary: unavailable (HTTP 500)", body, StringComparison.Ordinal);
        Assert.Contains("secondary: rate_limited (HTTP 429)", body, StringComparison.Ordinal);
        var audited = Assert.Single(await env.AuditedAsync(1));
        Assert.Equal(("backend_unavailable", 502), (audited.Status, audited.ErrorCode));
    }

    [Fact]
    public async Task A_stream_cut_midway_is_not_retried_and_the_SDK_sees_an_error()
    {
        await using var env = await LlmTestEnvironment.StartAsync();
        env.Primary.Faults.Set(new FaultPlan { Mode = FaultMode.CutStream, AfterEvents = 2 });

        var received = 0;
        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var update in env.OpenAI().GetChatClient("chat").CompleteChatStreamingAsync([new UserChatMessage("one two three four")]))
            {
                received++;
            }
        });

        Assert.NotNull(error);
        Assert.InRange(received, 1, 3);
        Assert.Equal(0, env.Secondary.Recorder.CountOf(Chat));
        var audited = Assert.Single(await env.AuditedAsync(1));
        Assert.Equal(("stream_cut", "primary"), (audited.Status, audited.Backend));
        Assert.Equal(AttemptOutcome.Cut, Assert.Single(audited.Llm!.Attempts).Outcome);
    }

    [Fact]
    public async Task A_slow_stream_may_last_longer_than_the_first_byte_timeout_as_long_as_events_keep_coming()
    {
        await using var env = await LlmTestEnvironment.StartAsync(s =>
        {
            s["Gateway:Providers:0:FirstByteTimeout"] = "00:00:00.500";
            s["Gateway:Providers:0:IdleTimeout"] = "00:00:02";
        });
        env.Primary.Faults.Set(new FaultPlan { Mode = FaultMode.SlowStream, ChunkDelayMs = 200 });

        var text = new StringBuilder();
        await foreach (var update in env.OpenAI().GetChatClient("chat").CompleteChatStreamingAsync([new UserChatMessage("a b c d e f g h")]))
        {
            text.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
        }

        Assert.Equal("echo: a b c d e f g h", text.ToString());
        Assert.Equal("ok", Assert.Single(await env.AuditedAsync(1)).Status);
    }

    [Fact]
    public async Task A_stream_that_goes_silent_past_the_idle_timeout_ends_in_an_error_not_a_hang()
    {
        await using var env = await LlmTestEnvironment.StartAsync();
        env.Primary.Faults.Set(new FaultPlan { Mode = FaultMode.SlowStream, ChunkDelayMs = 5_000 });

        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var update in env.OpenAI().GetChatClient("chat").CompleteChatStreamingAsync([new UserChatMessage("one two")]))
            {
            }
        });

        Assert.NotNull(error);
        var audited = Assert.Single(await env.AuditedAsync(1));
        Assert.Equal("stream_cut", audited.Status);
        Assert.Contains("idle timeout", audited.Detail, StringComparison.Ordinal);
    }

    /// <summary>Waits out the configured 0.5 s break, so the next call is the half-open probe.</summary>
    private static Task BreakOverAsync() => Task.Delay(TimeSpan.FromSeconds(1));
}
