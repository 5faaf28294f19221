using System.ClientModel;
using System.ClientModel.Primitives;
using Gateway.FakeProvider.Faults;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using OpenAI.Models;

namespace Gateway.FakeProvider.Tests;

/// <summary>The official OpenAI .NET SDK parses what the fake sends: the wire shapes are right.</summary>
public sealed class OpenAISdkTests
{
    private static readonly ApiKeyCredential Key = new("sk-test");

    private static OpenAIClientOptions Options(FakeProviderServer server) =>
        new() { Endpoint = server.OpenAIEndpoint, RetryPolicy = new ClientRetryPolicy(maxRetries: 0) };

    [Fact]
    public async Task A_chat_completion_echoes_the_last_user_message_with_usage_and_keeps_the_unknown_field()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeProviderOptions { Name = "llm-primary" });
        var client = new ChatClient("fake-gpt", Key, Options(server));

        var result = await client.CompleteChatAsync(
            [new SystemChatMessage("be brief"), new UserChatMessage("first"), new AssistantChatMessage("ok"), new UserChatMessage("hello big world")]);

        var completion = result.Value;
        Assert.Equal("echo: hello big world", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal("fake-gpt", completion.Model);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        // Words: "be brief" 2 + "first" 1 + "ok" 1 + "hello big world" 3; the reply has 4.
        Assert.Equal(7, completion.Usage.InputTokenCount);
        Assert.Equal(4, completion.Usage.OutputTokenCount);
        Assert.Equal(11, completion.Usage.TotalTokenCount);
        Assert.Contains("\"x_fake_provider\":\"llm-primary\"", result.GetRawResponse().Content.ToString(), StringComparison.Ordinal);
        Assert.Equal("Bearer sk-test", Assert.Single(server.Recorder.Requests).Headers["Authorization"]);
    }

    [Fact]
    public async Task A_streamed_chat_completion_arrives_word_by_word_and_ends_with_usage()
    {
        await using var server = await FakeProviderServer.StartAsync();
        var client = new ChatClient("fake-gpt", Key, Options(server));

        var pieces = new List<string>();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        // The SDK asks for the usage chunk itself (stream_options.include_usage).
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("one two three")]))
        {
            pieces.AddRange(update.ContentUpdate.Select(part => part.Text).Where(text => text.Length > 0));
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal(["echo:", " one", " two", " three"], pieces);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(3, usage.InputTokenCount);
        Assert.Equal(4, usage.OutputTokenCount);
        Assert.Equal(7, usage.TotalTokenCount);
        Assert.Contains("\"include_usage\":true", Assert.Single(server.Recorder.Requests).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Embeddings_are_the_same_eight_floats_for_the_same_input()
    {
        await using var server = await FakeProviderServer.StartAsync();
        var client = new EmbeddingClient("fake-embed", Key, Options(server));

        var first = (await client.GenerateEmbeddingsAsync(["alpha", "beta"])).Value;
        var again = (await client.GenerateEmbeddingAsync("alpha")).Value;

        Assert.Equal(2, first.Count);
        Assert.Equal(8, first[0].ToFloats().Length);
        Assert.Equal(first[0].ToFloats().ToArray(), again.ToFloats().ToArray());
        Assert.NotEqual(first[0].ToFloats().ToArray(), first[1].ToFloats().ToArray());
        Assert.All(first[0].ToFloats().ToArray(), value => Assert.InRange(value, -1f, 1f));
    }

    [Fact]
    public async Task Models_lists_the_configured_models()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeProviderOptions { Models = { "model-a", "model-b" } });
        var client = new OpenAIModelClient(Key, Options(server));

        var models = (await client.GetModelsAsync()).Value;

        Assert.Equal(["model-a", "model-b"], models.Select(model => model.Id));
        Assert.All(models, model => Assert.Equal("fake", model.OwnedBy));
    }

    [Fact]
    public async Task A_cut_stream_makes_the_streaming_enumeration_throw()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Faults.Set(new FaultPlan { Mode = FaultMode.CutStream, AfterEvents = 2 });
        var client = new ChatClient("fake-gpt", Key, Options(server));

        var received = new List<string>();
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("a b c d e f")]))
            {
                received.AddRange(update.ContentUpdate.Select(part => part.Text));
            }
        });

        // The role event and "echo:" arrived; the rest never did.
        Assert.Equal(string.Empty, received[0]);
        Assert.Equal("echo:", received[^1]);
    }

    [Fact]
    public async Task A_rate_limit_reaches_the_sdk_as_429()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Faults.Set(new FaultPlan { Mode = FaultMode.RateLimit, RetryAfterSeconds = 3 });
        var client = new ChatClient("fake-gpt", Key, Options(server));

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(429, error.Status);
        Assert.Equal("3", error.GetRawResponse()!.Headers.TryGetValue("Retry-After", out var retryAfter) ? retryAfter : null);
    }
}
