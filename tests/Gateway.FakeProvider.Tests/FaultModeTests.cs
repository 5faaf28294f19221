using System.Net;
using System.Text.Json;
using Gateway.FakeProvider.Faults;
using Microsoft.Extensions.Time.Testing;
using static Gateway.FakeProvider.Tests.FakeHttp;

namespace Gateway.FakeProvider.Tests;

/// <summary>Each fault mode, seen over plain HTTP.</summary>
public sealed class FaultModeTests
{
    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(400)]
    public async Task An_error_fault_answers_its_status_with_an_openai_error_body(int status)
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Faults.Set(new FaultPlan { Mode = FaultMode.Error, Status = status });
        using var http = Client(server);

        using var response = await http.PostAsync(Chat, ChatBody);

        Assert.Equal(status, (int)response.StatusCode);
        var error = (await response.JsonAsync()).GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(status >= 500 ? "server_error" : "invalid_request_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_error_fault_on_messages_answers_in_anthropic_shape()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Faults.Set(new FaultPlan { Mode = FaultMode.Error, Status = 529 });
        using var http = Client(server);

        using var response = await http.PostAsync(Messages, MessagesBody);

        Assert.Equal(529, (int)response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal("overloaded_error", body.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_rate_limit_fault_answers_429_with_retry_after()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Faults.Set(new FaultPlan { Mode = FaultMode.RateLimit, RetryAfterSeconds = 12 });
        using var http = Client(server);

        using var response = await http.PostAsync(Messages, MessagesBody);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(12), response.Headers.RetryAfter?.Delta);
        Assert.Equal("rate_limit_error", (await response.JsonAsync()).GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_fault_with_a_count_reverts_to_normal_after_that_many_requests()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Faults.Set(new FaultPlan { Mode = FaultMode.Error, Status = 503, Count = 2 });
        using var http = Client(server);

        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await http.PostAsync(Chat, ChatBody);
            statuses.Add((int)response.StatusCode);
        }

        Assert.Equal([503, 503, 200, 200], statuses);
        Assert.Equal(FaultMode.None, server.Faults.Current.Mode);
    }

    [Fact]
    public async Task A_fault_with_paths_applies_only_under_those_paths_and_counts_only_them()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Faults.Set(new FaultPlan { Mode = FaultMode.Error, Status = 503, Count = 1, Paths = [Models] });
        using var http = Client(server);

        using var chat = await http.PostAsync(Chat, ChatBody);
        using var models = await http.GetAsync(Models);
        using var modelsAgain = await http.GetAsync(Models);

        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, models.StatusCode);
        Assert.Equal(HttpStatusCode.OK, modelsAgain.StatusCode);
    }

    [Fact]
    public async Task A_garbage_json_fault_answers_200_json_that_does_not_parse()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Faults.Set(Fault(FaultMode.GarbageJson));
        using var http = Client(server);

        using var response = await http.PostAsync(Chat, ChatBody);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(body));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task A_cut_stream_sends_exactly_the_configured_events_then_breaks_without_a_terminal_event(int afterEvents)
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Faults.Set(new FaultPlan { Mode = FaultMode.CutStream, AfterEvents = afterEvents });
        using var http = Client(server);

        using var response = await http.PostStreamingAsync(Chat, StreamedChatBody);
        var received = new List<string>();
        await Assert.ThrowsAnyAsync<IOException>(() => response.DataLinesAsync(received));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(afterEvents, received.Count);
        Assert.DoesNotContain("[DONE]", received);
    }

    [Fact]
    public async Task A_cut_stream_cuts_a_non_streamed_body_halfway()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Faults.Set(Fault(FaultMode.CutStream));
        using var http = Client(server);

        using var response = await http.PostStreamingAsync(Chat, ChatBody);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => response.Content.ReadAsStringAsync());
        Assert.IsAssignableFrom<IOException>(error.InnerException);
    }

    [Fact]
    public async Task A_malformed_sse_fault_sends_a_data_line_that_is_not_json_and_the_rest_of_the_stream()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Faults.Set(Fault(FaultMode.MalformedSse));
        using var http = Client(server);

        using var response = await http.PostStreamingAsync(Chat, StreamedChatBody);
        var data = await response.DataLinesAsync();

        Assert.Contains(data, line => line != "[DONE]" && !IsJson(line));
        Assert.Equal("[DONE]", data[^1]);
    }

    [Fact]
    public async Task A_latency_fault_holds_the_response_for_its_virtual_time()
    {
        var time = new FakeTimeProvider();
        await using var server = await FakeProviderServer.StartAsync(timeProvider: time);
        server.Faults.Set(new FaultPlan { Mode = FaultMode.Latency, LatencyMs = 60_000 });
        using var http = Client(server);

        var started = time.GetUtcNow();
        var call = http.GetAsync(Models);
        await AdvanceUntilAsync(time, call, TimeSpan.FromSeconds(1));

        Assert.True(time.GetUtcNow() - started >= TimeSpan.FromSeconds(60));
        using var response = await call;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_slow_stream_waits_between_events_on_virtual_time()
    {
        var time = new FakeTimeProvider();
        await using var server = await FakeProviderServer.StartAsync(timeProvider: time);
        server.Faults.Set(new FaultPlan { Mode = FaultMode.SlowStream, ChunkDelayMs = 10_000 });
        using var http = Client(server);

        var started = time.GetUtcNow();
        var read = ReadStreamAsync(http);
        await AdvanceUntilAsync(time, read, TimeSpan.FromSeconds(1));

        var data = await read;
        // role, "echo:", " a", " b", " c", finish, [DONE]: six gaps of 10 s.
        Assert.Equal(7, data.Count);
        Assert.True(time.GetUtcNow() - started >= TimeSpan.FromSeconds(60));

        static async Task<List<string>> ReadStreamAsync(HttpClient http)
        {
            using var response = await http.PostStreamingAsync(Chat, StreamedChatBody);
            return await response.DataLinesAsync();
        }
    }

    [Fact]
    public async Task A_hang_never_answers_and_ends_when_the_client_gives_up()
    {
        var time = new FakeTimeProvider();
        await using var server = await FakeProviderServer.StartAsync(timeProvider: time);
        server.Faults.Set(Fault(FaultMode.Hang));
        using var http = Client(server);
        using var giveUp = new CancellationTokenSource();

        var call = http.PostAsync(Chat, ChatBody, giveUp.Token);
        await WaitForAsync(() => server.Recorder.InFlightOf(Chat) == 1);
        time.Advance(TimeSpan.FromDays(1));
        var completedBeforeGivingUp = call.IsCompleted;
        await giveUp.CancelAsync();

        Assert.False(completedBeforeGivingUp);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await WaitForAsync(() => server.Recorder.InFlightOf(Chat) == 0);
    }

    [Fact]
    public async Task Clearing_the_fault_answers_normally_again()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Faults.Set(new FaultPlan { Mode = FaultMode.Error, Status = 500 });
        using var http = Client(server);

        using var failed = await http.GetAsync(Models);
        server.Faults.Clear();
        using var answered = await http.GetAsync(Models);

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }

    /// <summary>Advances virtual time in steps until <paramref name="task"/> ends; bounded so a broken fake fails instead of spinning.</summary>
    internal static async Task AdvanceUntilAsync(FakeTimeProvider time, Task task, TimeSpan step)
    {
        for (var i = 0; i < 2_000 && !task.IsCompleted; i++)
        {
            time.Advance(step);
            await Task.WhenAny(task, Task.Delay(5));
        }

        Assert.True(task.IsCompleted, "The request did not end within 2000 virtual steps.");
    }

    internal static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 1_000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "The condition did not hold within 1000 polls.");
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
