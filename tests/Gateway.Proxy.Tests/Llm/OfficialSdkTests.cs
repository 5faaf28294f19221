using System.ClientModel;
using Anthropic.Models.Messages;
using Gateway.Proxy.Llm.Relay;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace Gateway.Proxy.Tests.Llm;

/// <summary>The official OpenAI and Anthropic .NET SDKs, pointed at the gateway, get what the provider answered.</summary>
public sealed class OfficialSdkTests
{
    [Fact]
    public async Task The_OpenAI_SDK_gets_a_chat_completion_through_the_first_target_with_the_providers_own_key()
    {
        await using var env = await LlmTestEnvironment.StartAsync();

        var result = await env.OpenAI().GetChatClient("chat").CompleteChatAsync([new UserChatMessage("hello big world")]);

        Assert.Equal("echo: hello big world", result.Value.Content[0].Text);
        Assert.Equal(3, result.Value.Usage.InputTokenCount);
        Assert.Equal("primary", result.GetRawResponse().Headers.TryGetValue(LlmHeaders.Provider, out var provider) ? provider : null);
        var sent = Assert.Single(env.Primary.Recorder.Requests);
        Assert.Equal("Bearer " + LlmTestEnvironment.ProviderKey, sent.Headers["Authorization"]);
        Assert.Contains("\"model\":\"fake-gpt\"", sent.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(LlmTestEnvironment.AgentKey, string.Join("\n", sent.Headers.Values), StringComparison.Ordinal);

        var audited = Assert.Single(await env.AuditedAsync(1));
        Assert.Equal(("agent-1", "chat.completions", "chat", "primary", "ok"), (audited.ClientId, audited.Method, audited.Target, audited.Backend, audited.Status));
        Assert.Equal("fake-gpt", audited.Llm!.UpstreamModel);
        Assert.Equal((3L, 4L), (audited.Llm.InputTokens, audited.Llm.OutputTokens));
        Assert.Equal("ok", Assert.Single(audited.Llm.Attempts).Outcome);
    }

    [Fact]
    public async Task The_OpenAI_SDK_streams_a_chat_completion_word_by_word_with_usage()
    {
        await using var env = await LlmTestEnvironment.StartAsync();

        var pieces = new List<string>();
        ChatTokenUsage? usage = null;
        await foreach (var update in env.OpenAI().GetChatClient("chat").CompleteChatStreamingAsync([new UserChatMessage("one two three")]))
        {
            pieces.AddRange(update.ContentUpdate.Select(p => p.Text).Where(t => t.Length > 0));
            usage ??= update.Usage;
        }

        Assert.Equal(["echo:", " one", " two", " three"], pieces);
        Assert.Equal(4, usage?.OutputTokenCount);
        var audited = Assert.Single(await env.AuditedAsync(1));
        Assert.True(audited.Llm!.Streamed);
        Assert.NotNull(audited.Llm.TimeToFirstByteMs);
        Assert.Equal((3L, 4L), (audited.Llm.InputTokens, audited.Llm.OutputTokens));
    }

    [Fact]
    public async Task The_OpenAI_SDK_gets_embeddings_and_lists_only_the_models_its_client_may_use()
    {
        await using var env = await LlmTestEnvironment.StartAsync();

        var embedding = await env.OpenAI(LlmTestEnvironment.EmbedderKey).GetEmbeddingClient("embed").GenerateEmbeddingAsync("some text");
        var models = await env.OpenAI(LlmTestEnvironment.EmbedderKey).GetOpenAIModelClient().GetModelsAsync();
        var all = await env.OpenAI().GetOpenAIModelClient().GetModelsAsync();

        Assert.Equal(8, embedding.Value.ToFloats().Length);
        Assert.Equal(["embed"], models.Value.Select(m => m.Id));
        Assert.Equal(["chat", "claude", "embed"], all.Value.Select(m => m.Id));
    }

    [Fact]
    public async Task The_Anthropic_SDK_gets_a_message_and_a_streamed_message_through_an_Anthropic_provider()
    {
        await using var env = await LlmTestEnvironment.StartAsync();
        var ask = new MessageCreateParams { MaxTokens = 64, Model = "claude", Messages = [new UserMessageParam("hello big world")] };

        var message = await env.Anthropic().Messages.Create(ask);
        var pieces = new List<string>();
        await foreach (var streamEvent in env.Anthropic().Messages.CreateStreaming(ask))
        {
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var text))
            {
                pieces.Add(text.Text);
            }
        }

        Assert.True(message.Content[0].TryPickText(out var answer));
        Assert.Equal("echo: hello big world", answer.Text);
        Assert.Equal("echo: hello big world", string.Concat(pieces));
        var sent = env.Primary.Recorder.Requests;
        Assert.Equal(2, sent.Count);
        Assert.All(sent, r => Assert.Equal(LlmTestEnvironment.ProviderKey, r.Headers["x-api-key"]));
        Assert.All(sent, r => Assert.False(r.Headers.ContainsKey("Authorization")));
        var audited = await env.AuditedAsync(2);
        Assert.All(audited, e => Assert.Equal(("messages", "claude", "ok"), (e.Method, e.Backend, e.Status)));
        Assert.All(audited, e => Assert.Equal(4L, e.Llm!.OutputTokens));
    }

    [Fact]
    public async Task Errors_reach_each_SDK_in_its_own_shape()
    {
        await using var env = await LlmTestEnvironment.StartAsync();

        var openAi = await Assert.ThrowsAsync<ClientResultException>(() =>
            env.OpenAI(LlmTestEnvironment.EmbedderKey).GetChatClient("chat").CompleteChatAsync([new UserChatMessage("hi")]));
        var anthropic = await Assert.ThrowsAnyAsync<Exception>(() =>
            env.Anthropic("wrong-key").Messages.Create(new MessageCreateParams { MaxTokens = 8, Model = "claude", Messages = [new UserMessageParam("hi")] }));

        Assert.Equal(403, openAi.Status);
        Assert.Contains("model_not_allowed", openAi.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
        Assert.Contains("authentication_error", anthropic.ToString(), StringComparison.Ordinal);
        Assert.Empty(env.Primary.Recorder.Requests);
    }
}
