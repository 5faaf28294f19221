using System.Net;
using System.Text.Json;
using Gateway.Contracts;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Proxy.Tests.Authentication;

/// <summary>
/// The proxy as an OAuth resource server: tokens of two configured issuers (metadata and JWKS served by
/// <see cref="TestIssuer"/>), the gateway's resource URI as audience, a required scope, a backend with a static credential
/// that records every Authorization header it receives.
/// </summary>
public sealed class BearerTokenTests : IAsyncLifetime
{
    private const string Resource = "http://localhost/mcp";
    private const string MetadataUrl = "http://localhost/.well-known/oauth-protected-resource/mcp";
    private const string BackendSecret = "backend-secret-7f3a";
    private const string Call = """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"x":1}}}""";

    private readonly RecordingAuditTransport _audit = new();
    private TestIssuer _issuer = null!;
    private TestIssuer _second = null!;
    private FakeMcpServer _backend = null!;
    private FakeMcpServer _oauthBackend = null!;
    private FakeMcpServer _onBehalfBackend = null!;
    private GatewayFactory _gateway = null!;

    public async Task InitializeAsync()
    {
        _issuer = await TestIssuer.StartAsync();
        _second = await TestIssuer.StartAsync();
        _backend = await FakeMcpServer.StartAsync("alpha", ["echo"]);
        _oauthBackend = await FakeMcpServer.StartAsync("beta", ["lookup"]);
        _onBehalfBackend = await FakeMcpServer.StartAsync("gamma", ["whoami"]);
        var settings = GatewayFactory.Settings(("alpha", _backend.Url), ("beta", _oauthBackend.Url), ("gamma", _onBehalfBackend.Url));
        settings.Remove("Gateway:AnonymousClientId");
        settings["Gateway:OAuth:Resource"] = Resource;
        settings["Gateway:OAuth:Issuers:0:Name"] = "corp";
        settings["Gateway:OAuth:Issuers:0:Issuer"] = _issuer.Issuer.AbsoluteUri;
        settings["Gateway:OAuth:Issuers:0:RequiredScopes:0"] = "mcp:tools";
        settings["Gateway:OAuth:Issuers:0:DefaultRoles:0"] = "user";
        settings["Gateway:OAuth:Issuers:1:Name"] = "partner";
        settings["Gateway:OAuth:Issuers:1:Issuer"] = _second.Issuer.AbsoluteUri;
        settings["Gateway:OAuth:Issuers:1:RolesClaim"] = "roles";
        settings["Gateway:Backends:0:Credential:Kind"] = "Header";
        settings["Gateway:Backends:0:Credential:SecretSetting"] = "Credentials:alpha";
        settings["Credentials:alpha"] = BackendSecret;
        settings["Gateway:Backends:1:Credential:Kind"] = "ClientCredentials";
        settings["Gateway:Backends:1:Credential:TokenEndpoint"] = _issuer.TokenEndpoint.AbsoluteUri;
        settings["Gateway:Backends:1:Credential:ClientId"] = "gateway";
        settings["Gateway:Backends:1:Credential:SecretSetting"] = "Credentials:beta";
        settings["Gateway:Backends:1:Credential:Scopes:0"] = "lookup:read";
        settings["Gateway:Backends:1:Credential:Resource"] = "https://beta.internal/mcp";
        settings["Credentials:beta"] = "gateway-secret";
        settings["Gateway:Backends:2:Credential:Kind"] = "TokenExchange";
        settings["Gateway:Backends:2:Credential:TokenEndpoint"] = _issuer.TokenEndpoint.AbsoluteUri;
        settings["Gateway:Backends:2:Credential:ClientId"] = "gateway";
        settings["Gateway:Backends:2:Credential:SecretSetting"] = "Credentials:beta";
        settings["Gateway:Backends:2:Credential:Resource"] = "https://gamma.internal/mcp";
        settings["Audit:SpillDirectory"] = Path.Combine(Path.GetTempPath(), "gateway-tests", Guid.NewGuid().ToString("N"));
        _gateway = new GatewayFactory(settings, services: s => s.AddSingleton<IAuditTransport>(_audit));
        _ = _gateway.Server;
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
        await _oauthBackend.DisposeAsync();
        await _onBehalfBackend.DisposeAsync();
        await _second.DisposeAsync();
        await _issuer.DisposeAsync();
    }

    [Fact]
    public async Task A_call_without_credentials_gets_401_pointing_to_the_resource_metadata()
    {
        var client = new McpTestClient(_gateway.CreateClient());

        using var response = await client.PostAsync(Call);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal($"Bearer resource_metadata=\"{MetadataUrl}\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(GatewayErrorCodes.Unauthenticated, await ErrorCodeAsync(response));
    }

    [Theory]
    [InlineData("/.well-known/oauth-protected-resource")]
    [InlineData("/.well-known/oauth-protected-resource/mcp")]
    public async Task The_protected_resource_metadata_names_the_resource_its_issuers_and_scopes(string path)
    {
        using var response = await _gateway.CreateClient().GetAsync(path);

        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        Assert.Equal(Resource, root.GetProperty("resource").GetString());
        Assert.Equal([_issuer.Issuer.AbsoluteUri, _second.Issuer.AbsoluteUri],
            root.GetProperty("authorization_servers").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["mcp:tools"], root.GetProperty("scopes_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["header"], root.GetProperty("bearer_methods_supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task A_valid_token_calls_tools_and_the_backend_sees_its_own_credential_never_the_token()
    {
        var token = _issuer.Token(Resource, clientId: "mcp-host", subject: "alice");
        var client = Authorized(token);
        await client.InitializeAsync();

        var answer = await client.RequestAllAsync("tools/call", """{"name":"echo","arguments":{"x":1}}""");

        Assert.Contains("alpha:echo", answer.Last().GetProperty("result").ToString(), StringComparison.Ordinal);
        Assert.NotEmpty(_backend.Authorizations);
        Assert.All(_backend.Authorizations, header => Assert.Equal("Bearer " + BackendSecret, header));
        var audited = await _audit.WaitForAsync(e => e.Method == "tools/call" && e.User == "alice");
        Assert.Equal("mcp-host", audited.ClientId);
        Assert.Equal(AuditStatus.Ok, audited.Status);
        Assert.DoesNotContain(_audit.Events, e => (e.Detail ?? "").Contains(token, StringComparison.Ordinal) || (e.Detail ?? "").Contains(BackendSecret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_credentials_backend_gets_the_gateways_own_token_obtained_once_and_cached()
    {
        var token = _issuer.Token(Resource, subject: "frank");
        var client = Authorized(token);
        await client.InitializeAsync();

        for (var i = 0; i < 3; i++)
        {
            var answer = await client.RequestAllAsync("tools/call", """{"name":"lookup","arguments":{}}""", id: 10 + i);
            Assert.Contains("beta:lookup", answer.Last().GetProperty("result").ToString(), StringComparison.Ordinal);
        }

        var grant = Assert.Single(_issuer.TokenRequestForms, f => f["resource"] == "https://beta.internal/mcp");
        Assert.Equal("client_credentials", grant["grant_type"]);
        Assert.Equal("lookup:read", grant["scope"]);
        var received = _oauthBackend.Authorizations.Distinct().ToArray();
        var only = Assert.Single(received);
        Assert.StartsWith("Bearer eyJ", only, StringComparison.Ordinal);
        Assert.NotEqual("Bearer " + token, only);
        Assert.DoesNotContain(_backend.Authorizations, header => header.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Outside_any_request_a_token_exchange_backend_is_discovered_with_the_gateways_own_token()
    {
        // The catalog lists every backend at start, before any user calls: gamma's tools are there.
        var client = Authorized(_issuer.Token(Resource, subject: "judy"));
        await client.InitializeAsync();
        var tools = await client.RequestAllAsync("tools/list", id: 23);
        Assert.Contains("whoami", tools.Last().GetProperty("result").ToString(), StringComparison.Ordinal);
        Assert.Contains(_onBehalfBackend.Authorizations, header => header.StartsWith("Bearer eyJ", StringComparison.Ordinal)
            && new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(header["Bearer ".Length..]).Subject == "gateway");
    }

    [Fact]
    public async Task A_token_exchange_backend_gets_a_token_for_itself_on_the_users_behalf_never_the_users_own()
    {
        var token = _issuer.Token(Resource, subject: "ivan");
        var client = Authorized(token);
        await client.InitializeAsync();
        var before = _onBehalfBackend.Authorizations.Count;

        var answer = await client.RequestAllAsync("tools/call", """{"name":"whoami","arguments":{}}""", id: 21);

        Assert.Contains("gamma:whoami", answer.Last().GetProperty("result").ToString(), StringComparison.Ordinal);
        var received = _onBehalfBackend.Authorizations.Skip(before).Distinct().ToArray();
        Assert.NotEmpty(received);
        Assert.All(received, header =>
        {
            var exchanged = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(header["Bearer ".Length..]);
            Assert.Equal("ivan", exchanged.Subject);
            Assert.Equal(["https://gamma.internal/mcp"], exchanged.Audiences);
            Assert.NotEqual(token, exchanged.EncodedToken);
        });
        Assert.Contains(_issuer.TokenRequestForms, f => f["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange"
            && f["resource"] == "https://gamma.internal/mcp" && f["subject_token"] == token);
    }

    [Fact]
    public async Task A_token_exchange_backend_is_refused_to_api_key_callers_without_reaching_it()
    {
        var client = new McpTestClient(_gateway.CreateClient());
        client.Http.DefaultRequestHeaders.Add("X-Api-Key", "key-1");
        await client.InitializeAsync();
        var calls = _onBehalfBackend.CalledTools.Count;

        var answer = await client.RequestAllAsync("tools/call", """{"name":"whoami","arguments":{}}""", id: 22);

        var last = answer.Last();
        Assert.True(last.TryGetProperty("error", out _) || last.GetProperty("result").GetProperty("isError").GetBoolean(), last.ToString());
        Assert.Equal(calls, _onBehalfBackend.CalledTools.Count);
    }

    [Fact]
    public async Task A_second_configured_issuer_is_trusted_with_its_own_keys_and_role_claim()
    {
        var client = Authorized(_second.Token(Resource, clientId: "partner-agent", subject: "bob", scope: "", roles: ["user"]));
        await client.InitializeAsync();

        var answer = await client.RequestAllAsync("tools/call", """{"name":"echo","arguments":{}}""");

        Assert.True(answer.Last().TryGetProperty("result", out _));
        Assert.Equal("partner-agent", (await _audit.WaitForAsync(e => e.Method == "tools/call" && e.User == "bob")).ClientId);
    }

    public static TheoryData<string> RefusedTokens => ["wrong audience", "expired", "not yet valid", "unknown key", "unconfigured issuer", "malformed"];

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task A_refused_token_gets_401_invalid_token_never_reaches_a_backend_and_is_audited(string kind)
    {
        var token = kind switch
        {
            "wrong audience" => _issuer.Token("https://other.example/mcp"),
            "expired" => _issuer.Token(Resource, lifetime: TimeSpan.FromMinutes(-5)),
            "not yet valid" => _issuer.Token(Resource, notBefore: DateTime.UtcNow.AddMinutes(10), lifetime: TimeSpan.FromMinutes(20)),
            "unknown key" => _issuer.Token(Resource, unpublishedKey: true),
            "unconfigured issuer" => _issuer.Token(Resource, issuer: "https://idp.attacker.example/"),
            _ => "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
        };
        var calls = _backend.CalledTools.Count;
        // The refusal is audited with the session id the request named: it tells this request's event from the others.
        var client = Authorized(token);
        client.SessionId = "probe-" + Guid.NewGuid().ToString("N");

        using var response = await client.PostAsync(Call);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.StartsWith($"Bearer resource_metadata=\"{MetadataUrl}\", error=\"invalid_token\", error_description=", challenge, StringComparison.Ordinal);
        Assert.Equal(GatewayErrorCodes.Unauthenticated, await ErrorCodeAsync(response));
        Assert.Equal(calls, _backend.CalledTools.Count);
        Assert.DoesNotContain(_backend.Authorizations, header => header.Contains(token, StringComparison.Ordinal));
        var audited = await _audit.WaitForAsync(e => e.SessionId == client.SessionId);
        Assert.Equal(AuditStatus.Unauthenticated, audited.Status);
        Assert.DoesNotContain(token, audited.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_lacking_the_required_scope_gets_403_insufficient_scope_and_is_audited_with_its_user()
    {
        var calls = _backend.CalledTools.Count;
        var client = Authorized(_issuer.Token(Resource, subject: "carol", scope: "openid"));

        using var response = await client.PostAsync(Call);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(
            $"Bearer resource_metadata=\"{MetadataUrl}\", error=\"insufficient_scope\", error_description=\"The token lacks a required scope.\", scope=\"mcp:tools\"",
            response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(GatewayErrorCodes.Forbidden, await ErrorCodeAsync(response));
        Assert.Equal(calls, _backend.CalledTools.Count);
        var audited = await _audit.WaitForAsync(e => e.User == "carol");
        Assert.Equal(AuditStatus.Forbidden, audited.Status);
        Assert.Equal("mcp-host", audited.ClientId);
    }

    [Fact]
    public async Task A_session_belongs_to_its_user_not_to_every_user_of_the_same_client()
    {
        var owner = Authorized(_issuer.Token(Resource, subject: "dave"));
        await owner.InitializeAsync();
        var other = Authorized(_issuer.Token(Resource, subject: "erin"));
        other.SessionId = owner.SessionId;
        other.ProtocolVersion = owner.ProtocolVersion;

        using var response = await other.PostAsync("""{"jsonrpc":"2.0","id":1,"method":"ping"}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Signing_keys_are_fetched_once_not_per_call()
    {
        var fetches = _issuer.JwksFetches;
        for (var i = 0; i < 5; i++)
        {
            var client = Authorized(_issuer.Token(Resource, subject: "user" + i));
            await client.InitializeAsync();
            await client.RequestAllAsync("tools/list");
        }

        Assert.InRange(_issuer.JwksFetches - fetches, 0, 1);
    }

    [Fact]
    public async Task Api_keys_keep_working_beside_tokens()
    {
        var client = new McpTestClient(_gateway.CreateClient());
        client.Http.DefaultRequestHeaders.Add("Authorization", "Bearer key-1");
        await client.InitializeAsync();

        var answer = await client.RequestAllAsync("tools/call", """{"name":"echo","arguments":{}}""");

        Assert.True(answer.Last().TryGetProperty("result", out _));
    }

    [Fact]
    public async Task Admin_apis_refuse_a_token_without_the_admin_role_and_accept_one_with_it()
    {
        using var user = _gateway.CreateClient();
        user.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + _issuer.Token(Resource, subject: "gina"));
        using var admin = _gateway.CreateClient();
        admin.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + _issuer.Token(Resource, subject: "hank", roles: ["admin"]));

        using var refused = await user.GetAsync("/admin/kill-switches");
        using var accepted = await admin.GetAsync("/admin/kill-switches");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(GatewayErrorCodes.Forbidden, await ErrorCodeAsync(refused));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Admin_apis_answer_a_token_lacking_a_required_scope_with_403_insufficient_scope()
    {
        using var admin = _gateway.CreateClient();
        admin.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + _issuer.Token(Resource, scope: "openid", roles: ["admin"]));

        using var response = await admin.GetAsync("/admin/kill-switches");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("attacker.example", null)]
    [InlineData("localhost", "http://attacker.example")]
    public async Task Admin_apis_refuse_a_foreign_host_or_origin_even_with_an_admin_token(string host, string? origin)
    {
        using var admin = _gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/kill-switches");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + _issuer.Token(Resource, roles: ["admin"]));
        request.Headers.Host = host;
        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }

        using var response = await admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("DNS rebinding", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_names_its_checks_only_to_authenticated_callers()
    {
        using var anonymous = _gateway.CreateClient();
        using var user = _gateway.CreateClient();
        user.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + _issuer.Token(Resource, subject: "kim"));

        using var bare = JsonDocument.Parse(await anonymous.GetStringAsync("/health"));
        using var detailed = JsonDocument.Parse(await user.GetStringAsync("/health"));

        Assert.True(bare.RootElement.TryGetProperty("status", out _));
        Assert.False(bare.RootElement.TryGetProperty("checks", out _));
        Assert.NotEmpty(detailed.RootElement.GetProperty("checks").EnumerateArray());
    }

    private McpTestClient Authorized(string token)
    {
        var client = new McpTestClient(_gateway.CreateClient());
        client.Http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        return client;
    }

    private static async Task<int> ErrorCodeAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("error").GetProperty("code").GetInt32();
    }
}
