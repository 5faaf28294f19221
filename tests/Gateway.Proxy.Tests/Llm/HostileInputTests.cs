using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using Gateway.Contracts.Circuit;
using Gateway.Proxy.Circuit;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Proxy.Tests.Llm;

/// <summary>
/// Whatever a client sends, it gets an error in its API's shape (never a 500), no provider's breaker counts it, and
/// exactly one audit event records it.
/// </summary>
public sealed class HostileInputTests
{
    private static readonly string[] ValidStatuses = ["ok", "error", "invalid_request", "unknown_target", "forbidden", "unauthenticated"];

    [Theory]
    [InlineData("not json", 400, "invalid_request")]
    [InlineData("[1,2]", 400, "invalid_request")]
    [InlineData("""{"messages":[]}""", 400, "invalid_request")]
    [InlineData("""{"model":42}""", 400, "invalid_request")]
    [InlineData("""{"model":"chat","model":"embed"}""", 400, "invalid_request")]
    [InlineData("""{"model":"chat","stream":"yes"}""", 400, "invalid_request")]
    [InlineData("""{"model":"chat"} trailing""", 400, "invalid_request")]
    [InlineData("""{"model":"gpt-9"}""", 404, "model_not_found")]
    [InlineData("""{"model":"chat\u0000"}""", 400, "invalid_request")]
    [InlineData("""{"model":"chat with spaces"}""", 400, "invalid_request")]
    [InlineData("""{"model":"LONG"}""", 400, "invalid_request")]
    [InlineData("""{"model":"chat\n"}""", 400, "invalid_request")]
    public async Task A_malformed_request_gets_an_OpenAI_error_and_never_reaches_a_provider(string body, int status, string code)
    {
        body = body.Replace("LONG", new string('m', 3000), StringComparison.Ordinal);
        await using var env = await LlmTestEnvironment.StartAsync();

        using var response = await env.Http().PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(status, (int)response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(code, error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.RootElement.GetProperty("error").GetProperty("message").GetString()));
        Assert.Empty(env.Primary.Recorder.Requests);
        var audited = Assert.Single(await env.AuditedAsync(1));
        Assert.True(audited.Target is null or { Length: <= 128 }, "the audit event names no unbounded model");
    }

    [Fact]
    public async Task Missing_and_wrong_credentials_and_oversized_bodies_are_refused_in_each_APIs_shape()
    {
        await using var env = await LlmTestEnvironment.StartAsync(s => s["Gateway:Llm:MaxRequestBytes"] = "2048");
        var ask = new StringContent("""{"model":"claude","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");

        using var anonymous = await env.Http(key: null).PostAsync("v1/chat/completions", ask);
        using var wrong = await env.Http("nope").SendAsync(new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = ask,
            Headers = { { "anthropic-version", "2023-06-01" } },
        });
        using var huge = await env.Http().PostAsync("v1/chat/completions",
            new StringContent($$"""{"model":"chat","messages":[{"role":"user","content":"{{new string('x', 4096)}}"}]}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("authentication_error", JsonDocument.Parse(await anonymous.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using var anthropicError = JsonDocument.Parse(await wrong.Content.ReadAsStringAsync());
        Assert.Equal("error", anthropicError.RootElement.GetProperty("type").GetString());
        Assert.Equal("authentication_error", anthropicError.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Empty(env.Primary.Recorder.Requests);
        var audited = await env.AuditedAsync(3);
        Assert.Equal(["invalid_request", "unauthenticated", "unauthenticated"], audited.Select(e => e.Status).Order());
    }

    [Fact]
    public async Task An_unknown_path_under_v1_gets_an_error_in_shape_not_a_bare_404()
    {
        await using var env = await LlmTestEnvironment.StartAsync();

        using var response = await env.Http().GetAsync("v1/assistants");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("unknown_endpoint", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Generated_hostile_bodies_never_get_a_500_never_count_against_a_provider_and_are_each_audited_once()
    {
        await using var env = await LlmTestEnvironment.StartAsync();
        using var http = env.Http();
        var circuits = env.Services.GetRequiredService<CircuitBreakerRegistry>();
        var sent = 0;

        await HostileBodies.SampleAsync(async body =>
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await http.PostAsync(body.Length % 2 == 0 ? "v1/chat/completions" : "v1/embeddings", content);
            Interlocked.Increment(ref sent);
            Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.True((int)response.StatusCode < 500, $"HTTP {(int)response.StatusCode} for {Encoding.UTF8.GetString(body)}");
            if ((int)response.StatusCode >= 400)
            {
                using var answer = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
                Assert.True(answer.RootElement.TryGetProperty("error", out _));
            }
        }, iter: 150, threads: 1);

        Assert.Equal(CircuitState.Closed, circuits.GetState("primary"));
        Assert.Equal(0, circuits.GetFailureCount("primary"));
        var audited = await env.AuditedAsync(sent);
        Assert.Equal(sent, audited.Count);
        Assert.All(audited, e => Assert.Contains(e.Status, ValidStatuses));
    }
}

/// <summary>Generated request bodies: valid requests with hostile values, broken JSON, and noise.</summary>
internal static class HostileBodies
{
    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.String,
        Gen.Char.Array[0, 40].Select(c => new string(c)),
        Gen.Const("\ud800"),
        Gen.Const("\u0000\u001f\"\\"),
        Gen.Const(new string('é', 500)));

    private static readonly Gen<string> Model = Gen.OneOf(Gen.Const("chat"), Gen.Const("embed"), Gen.Const("claude"), Gen.Const("chat "), Text);

    private static readonly Gen<string> Valid = Gen.Select(Model, Text, Gen.Bool, Gen.Int[-5, 5], Text).Select((model, content, stream, n, extra) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["model"] = model,
            ["messages"] = new[] { new { role = "user", content } },
            ["input"] = content,
            ["stream"] = stream,
            ["n"] = n,
            ["x_unknown"] = extra,
        }));

    private static readonly Gen<byte[]> Body = Gen.OneOf(
        Valid.Select(Encoding.UTF8.GetBytes),
        Valid.Select(v => Encoding.UTF8.GetBytes(v[..^1])),
        Gen.Byte.Array[0, 64],
        Gen.Select(Model, Text).Select((m, t) => Encoding.UTF8.GetBytes($"{{\"model\":\"{m}\",\"stream\":{t}}}")),
        Gen.Select(Model, Gen.Int[1, 200]).Select((m, depth) => Encoding.UTF8.GetBytes($"{{\"model\":\"{m}\",\"x\":{new string('[', depth)}{new string(']', depth)}}}")));

    public static Task SampleAsync(Func<byte[], Task> assert, long iter, int threads) => Body.SampleAsync(assert, iter: iter, threads: threads);
}
