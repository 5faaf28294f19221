using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Proxy.Tests.Fakes;

namespace Gateway.Proxy.Tests.Llm;

/// <summary>The <c>/v1</c> endpoints take OAuth access tokens for the gateway as they take API keys, and never pass them on.</summary>
public sealed class OAuthOnLlmRouteTests
{
    private const string Resource = "http://localhost/mcp";

    [Fact]
    public async Task A_token_for_the_gateway_chats_as_its_user_and_the_provider_sees_only_its_own_key()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var env = await LlmTestEnvironment.StartAsync(s => Trust(s, issuer));
        var token = issuer.Token(Resource, clientId: "mcp-host", subject: "alice", roles: ["user"]);

        using var response = await Post(env, token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Assert.Single(env.Primary.Recorder.Requests);
        Assert.Equal("Bearer " + LlmTestEnvironment.ProviderKey, sent.Headers["Authorization"]);
        Assert.DoesNotContain(token, string.Join("\n", sent.Headers.Values), StringComparison.Ordinal);
        var audited = Assert.Single(await env.AuditedAsync(1));
        Assert.Equal(("ok", "alice"), (audited.Status, audited.User));
    }

    [Fact]
    public async Task A_token_without_the_required_scope_gets_403_insufficient_scope_in_OpenAI_shape()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var env = await LlmTestEnvironment.StartAsync(s => Trust(s, issuer));

        using var response = await Post(env, issuer.Token(Resource, scope: "profile", roles: ["user"]));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal("insufficient_scope", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(env.Primary.Recorder.Requests);
    }

    [Fact]
    public async Task A_token_for_another_audience_gets_401_with_the_resource_metadata_challenge()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var env = await LlmTestEnvironment.StartAsync(s => Trust(s, issuer));

        using var response = await Post(env, issuer.Token("http://elsewhere/mcp", roles: ["user"]));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("resource_metadata=", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Empty(env.Primary.Recorder.Requests);
    }

    private static void Trust(Dictionary<string, string?> settings, TestIssuer issuer)
    {
        settings["Gateway:OAuth:Resource"] = Resource;
        settings["Gateway:OAuth:Issuers:0:Name"] = "corp";
        settings["Gateway:OAuth:Issuers:0:Issuer"] = issuer.Issuer.AbsoluteUri;
        settings["Gateway:OAuth:Issuers:0:RequiredScopes:0"] = "mcp:tools";
        settings["Gateway:OAuth:Issuers:0:RolesClaim"] = "roles";
    }

    private static async Task<HttpResponseMessage> Post(LlmTestEnvironment env, string token)
    {
        using var http = env.Http(key: null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }
}
