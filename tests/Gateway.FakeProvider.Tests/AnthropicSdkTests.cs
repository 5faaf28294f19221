using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;

namespace Gateway.FakeProvider.Tests;

/// <summary>The official Anthropic .NET SDK parses what <c>/v1/messages</c> sends.</summary>
public sealed class AnthropicSdkTests
{
    private static AnthropicClient Client(FakeProviderServer server, string key = "sk-ant-test") =>
        new() { ApiKey = key, BaseUrl = server.BaseUrl.ToString().TrimEnd('/'), MaxRetries = 0 };

    private static MessageCreateParams Ask(string text) => new()
    {
        MaxTokens = 64,
        Model = "fake-claude",
        Messages = [new UserMessageParam(text)],
    };

    [Fact]
    public async Task A_message_echoes_the_last_user_message_with_usage()
    {
        await using var server = await FakeProviderServer.StartAsync();

        var message = await Client(server).Messages.Create(Ask("hello big world"));

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("echo: hello big world", text.Text);
        Assert.Equal(StopReason.EndTurn, message.StopReason?.Value());
        Assert.Equal("fake-claude", message.Model);
        Assert.Equal(3, message.Usage.InputTokens);
        Assert.Equal(4, message.Usage.OutputTokens);
        var request = Assert.Single(server.Recorder.Requests);
        // This SDK sends its ApiKey as a bearer token; the real API takes either, and so does the fake.
        Assert.True(request.Headers.TryGetValue("x-api-key", out var key) ? key == "sk-ant-test" : request.Headers["Authorization"] == "Bearer sk-ant-test");
        Assert.True(request.Headers.ContainsKey("anthropic-version"));
    }

    [Fact]
    public async Task A_streamed_message_arrives_word_by_word_and_ends_with_the_output_tokens()
    {
        await using var server = await FakeProviderServer.StartAsync();

        var pieces = new List<string>();
        long? outputTokens = null;
        var stopped = false;
        await foreach (var streamEvent in Client(server).Messages.CreateStreaming(Ask("one two three")))
        {
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var text))
            {
                pieces.Add(text.Text);
            }
            else if (streamEvent.TryPickDelta(out var messageDelta))
            {
                outputTokens = messageDelta.Usage.OutputTokens;
            }
            else if (streamEvent.TryPickStop(out _))
            {
                stopped = true;
            }
        }

        Assert.Equal(["echo:", " one", " two", " three"], pieces);
        Assert.Equal(4, outputTokens);
        Assert.True(stopped);
    }

    [Fact]
    public async Task A_configured_key_refuses_a_wrong_key_with_401()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeProviderOptions { ApiKey = "right" });

        var error = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => Client(server, "wrong").Messages.Create(Ask("hi")));
        var message = await Client(server, "right").Messages.Create(Ask("hi"));

        Assert.Contains("authentication_error", error.Message, StringComparison.Ordinal);
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("echo: hi", text.Text);
    }
}
