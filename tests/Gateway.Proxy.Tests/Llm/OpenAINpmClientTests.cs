using System.Text.Json;
using Gateway.Proxy.Tests.Peers;

namespace Gateway.Proxy.Tests.Llm;

/// <summary>The official <c>openai</c> npm client (peers/openai-client.mjs) pointed at the gateway.</summary>
public sealed class OpenAINpmClientTests
{
    [Fact]
    public async Task The_npm_client_chats_streams_embeds_and_lists_models_through_the_gateway()
    {
        await using var env = await LlmTestEnvironment.StartAsync();

        var (exitCode, stdout, stderr) = await NodePeers.RunAsync(
            ["openai-client.mjs", new Uri(env.BaseUrl, "v1").ToString(), LlmTestEnvironment.AgentKey], TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, $"openai-client.mjs exited with {exitCode}: {stderr}");
        var summary = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal("echo: hello from npm", summary.GetProperty("chat").GetString());
        Assert.Equal(7, summary.GetProperty("chatUsage").GetInt32());
        Assert.Equal("echo: one two three", summary.GetProperty("streamed").GetString());
        Assert.Equal(8, summary.GetProperty("embeddingLength").GetInt32());
        Assert.Equal(["chat", "claude", "embed"], summary.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        var unknown = summary.GetProperty("unknownModel");
        Assert.Equal((404, "model_not_found", "not_found_error"),
            (unknown.GetProperty("status").GetInt32(), unknown.GetProperty("code").GetString(), unknown.GetProperty("type").GetString()));
    }
}
