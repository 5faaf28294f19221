using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gateway.IntegrationTests.Circuit;
using Gateway.Testing;
using Gateway.Testing.Aspire;
using OpenAI;
using OpenAI.Chat;

namespace Gateway.IntegrationTests.Llm;

/// <summary>
/// The LLM route through the AppHost: two proxy replicas, the two fake providers behind <c>demo-chat</c>, Garnet,
/// RabbitMQ and the audit service, all real processes. Counts, never timings.
/// </summary>
[Collection(LlmSystemTestsGroup.Name)]
public sealed class LlmSystemTests(CircuitSystemFixture system) : IAsyncLifetime
{
    private const string ChatPath = "/v1/chat/completions";

    public async Task InitializeAsync()
    {
        await system.EnsureRunningAsync();
        foreach (var provider in new[] { "llm-primary", "llm-secondary" })
        {
            using var fake = system.App.CreateHttpClient(provider);
            (await fake.DeleteAsync(new Uri("/fake/fault", UriKind.Relative))).EnsureSuccessStatusCode();
            (await fake.DeleteAsync(new Uri("/fake/requests", UriKind.Relative))).EnsureSuccessStatusCode();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_demo_model_answers_the_OpenAI_SDK_through_the_AppHosts_fake_providers_and_the_call_is_in_the_audit_log()
    {
        var marker = Guid.NewGuid().ToString("N");

        var answer = await Chat("proxy", system.App.AdminKey).CompleteChatAsync([new UserChatMessage($"hello {marker}")]);

        Assert.Equal($"echo: hello {marker}", answer.Value.Content[0].Text);
        var audited = await system.App.WaitForAuditAsync(e => e.GetProperty("llm").ValueKind == JsonValueKind.Object
            && e.GetProperty("requestId").GetString() is not null
            && e.GetProperty("target").GetString() == "demo-chat"
            && e.GetProperty("clientId").GetString() == "demo-admin", "method=chat.completions");
        Assert.Equal("ok", audited.GetProperty("status").GetString());
        Assert.Equal("fake-gpt", audited.GetProperty("llm").GetProperty("upstreamModel").GetString());
    }

    [Fact]
    public async Task Killing_the_first_provider_keeps_requests_succeeding_on_both_replicas_and_its_circuit_closes_after_it_returns()
    {
        GatewayTestApp.Kill((await system.App.ProcessIdAsync("llm-primary"))!.Value);
        try
        {
            await system.App.WaitForExitAsync("llm-primary");
            for (var i = 0; i < 6; i++)
            {
                var result = await Chat(CircuitSystemFixture.Proxies[i % 2], system.App.AdminKey).CompleteChatAsync([new UserChatMessage($"n{i}")]);
                Assert.Equal($"echo: n{i}", result.Value.Content[0].Text);
            }

            await CircuitSystemFixture.WaitUntilAsync(async () => await ProviderStateAsync("llm-primary") == "Open");
        }
        finally
        {
            await system.App.StartResourceAsync("llm-primary");
            await system.App.WaitForRunningAndHealthyAsync("llm-primary");
        }

        await CircuitSystemFixture.WaitUntilAsync(async () =>
        {
            await Chat("proxy", system.App.AdminKey).CompleteChatAsync([new UserChatMessage("probe")]);
            return await ProviderStateAsync("llm-primary") == "Closed";
        });
    }

    [Fact]
    public async Task A_token_budget_spent_on_one_replica_refuses_the_client_on_the_other_with_Retry_After()
    {
        // Budgets are per calendar minute: start far enough from its end that both requests share one.
        var second = DateTimeOffset.UtcNow.Second;
        if (second > 50)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - second));
        }

        using var first = await PostChatAsync("proxy", CircuitSystemFixture.BudgetedKey, "one two three four five");
        using var refused = await PostChatAsync("proxy-2", CircuitSystemFixture.BudgetedKey, "again");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal("token_budget_exhausted", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
        var audited = await system.App.WaitForAuditAsync(e => e.GetProperty("status").GetString() == "rate_limited",
            $"client={CircuitSystemFixture.BudgetedClient}");
        Assert.Contains("Token budget", audited.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_429_with_Retry_After_on_one_replica_keeps_the_provider_out_of_rotation_on_the_other()
    {
        using (var primary = system.App.CreateHttpClient("llm-primary"))
        {
            (await primary.PutAsJsonAsync(new Uri("/fake/fault", UriKind.Relative),
                new { mode = "rate-limit", retryAfterSeconds = 20, paths = new[] { ChatPath } })).EnsureSuccessStatusCode();
        }

        using var first = await PostChatAsync("proxy", system.App.AdminKey, "first");
        // The hold travels on the bus; give it a moment before asking the other replica.
        await Task.Delay(TimeSpan.FromSeconds(2));
        using var second = await PostChatAsync("proxy-2", system.App.AdminKey, "second");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("llm-secondary", second.Headers.GetValues("X-Gateway-Provider").Single());
        using var recorded = system.App.CreateHttpClient("llm-primary");
        var requests = JsonDocument.Parse(await recorded.GetStringAsync(new Uri("/fake/requests", UriKind.Relative))).RootElement;
        Assert.Equal(1, requests.GetProperty("counts").GetProperty(ChatPath).GetInt32());
    }

    private ChatClient Chat(string proxy, string key)
    {
        using var http = system.App.CreateHttpClient(proxy);
        return new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri(http.BaseAddress!, "v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        }).GetChatClient("demo-chat");
    }

    private async Task<HttpResponseMessage> PostChatAsync(string proxy, string key, string text)
    {
        using var http = system.App.CreateHttpClient(proxy);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/chat/completions", UriKind.Relative))
        {
            Content = new StringContent(JsonSerializer.Serialize(new { model = "demo-chat", messages = new[] { new { role = "user", content = text } } }),
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", key);
        return await http.SendAsync(request);
    }

    /// <summary>The provider's breaker state as both proxy replicas see it, or null until they agree.</summary>
    private async Task<string?> ProviderStateAsync(string provider)
    {
        var states = new List<string?>();
        foreach (var proxy in CircuitSystemFixture.Proxies)
        {
            // /health names its checks only to authenticated callers.
            using var http = system.App.CreateAdminClient(proxy);
            using var health = JsonDocument.Parse(await http.GetStringAsync(new Uri("/health", UriKind.Relative)));
            var gate = health.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "circuit-gate");
            states.Add(gate.GetProperty("data").GetProperty("backends").TryGetProperty(provider, out var state) ? state.GetString() : null);
        }

        return states.Distinct().Count() == 1 ? states[0] : null;
    }
}

/// <summary>
/// The LLM tests get an application of their own: after the circuit tests take Redis and then RabbitMQ away and
/// bring them back, the leading monitor was seen to stop committing transitions (see README, Known gaps), which made
/// the provider-kill test here depend on the order xUnit picks for the classes of a shared collection.
/// </summary>
[CollectionDefinition(Name)]
public sealed class LlmSystemTestsGroup : ICollectionFixture<CircuitSystemFixture>
{
    public const string Name = "LLM system";
}
