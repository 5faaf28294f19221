using Gateway.Contracts.Configuration;

namespace Gateway.Contracts.Tests.Configuration;

/// <summary>The rules of the OAuth resource server (<c>Gateway:OAuth</c>) and of backend credentials.</summary>
public sealed class IdentityOptionsValidatorTests
{
    private readonly GatewayOptionsValidator _validator = new();

    [Fact]
    public void Two_issuers_and_each_kind_of_credential_pass()
    {
        var options = Configured();

        var result = _validator.Validate(null, options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    public static TheoryData<string, string> BrokenRules => new()
    {
        { "issuers without resource", "Gateway.OAuth.Resource" },
        { "resource with fragment", "Gateway.OAuth.Resource" },
        { "resource not http", "Gateway.OAuth.Resource" },
        { "issuer name repeated", "Gateway.OAuth.Issuers[1].Name" },
        { "issuer name malformed", "Gateway.OAuth.Issuers[0].Name" },
        { "issuer missing", "Gateway.OAuth.Issuers[0].Issuer" },
        { "issuer over plain http off loopback", "Gateway.OAuth.Issuers[1].Issuer" },
        { "issuer repeated", "Gateway.OAuth.Issuers[1].Issuer" },
        { "metadata over plain http off loopback", "Gateway.OAuth.Issuers[0].MetadataAddress" },
        { "required scope with a space", "Gateway.OAuth.Issuers[0].RequiredScopes[0]" },
        { "default role undefined", "Gateway.OAuth.Issuers[0].DefaultRoles[0]" },
        { "clock skew over five minutes", "Gateway.OAuth.Issuers[0].ClockSkew" },
        { "header credential without secret setting", "Gateway.Backends[0].Credential.SecretSetting" },
        { "secret setting with a space", "Gateway.Backends[0].Credential.SecretSetting" },
        { "client credentials without token endpoint", "Gateway.Backends[2].Credential.TokenEndpoint" },
        { "client credentials without client id", "Gateway.Backends[2].Credential.ClientId" },
        { "token endpoint over plain http off loopback", "Gateway.Backends[2].Credential.TokenEndpoint" },
        { "token exchange without oauth", "Gateway.Backends[2].Credential.Kind" },
        { "credential on a stdio backend", "Gateway.Backends[1].Credential" },
        { "credential kind unknown", "Gateway.Backends[0].Credential.Kind" },
    };

    [Theory]
    [MemberData(nameof(BrokenRules))]
    public void Each_broken_rule_is_reported_with_its_path(string rule, string path)
    {
        var options = Configured();
        Break(options, rule);

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed, rule);
        Assert.Contains(result.Failures, f => f.Contains(path, StringComparison.Ordinal));
    }

    private static GatewayOptions Configured()
    {
        var options = ValidGatewayConfigurations.Example();
        options.OAuth = new OAuthOptions
        {
            Resource = new Uri("https://gateway.example/mcp"),
            Issuers =
            [
                new IssuerOptions { Name = "corp", Issuer = new Uri("https://login.example/"), RequiredScopes = ["mcp:tools"], DefaultRoles = ["user"] },
                new IssuerOptions { Name = "local", Issuer = new Uri("http://127.0.0.1:5083/"), RolesClaim = "role" },
            ],
        };
        options.Backends[0].Credential = new BackendCredentialOptions { Kind = CredentialKind.Header, SecretSetting = "Credentials:alpha" };
        options.Backends[2].Credential = new BackendCredentialOptions
        {
            Kind = CredentialKind.ClientCredentials,
            TokenEndpoint = new Uri("https://login.example/connect/token"),
            ClientId = "gateway",
            SecretSetting = "Credentials:gateway",
            Scopes = ["beta.read"],
        };
        return options;
    }

    private static void Break(GatewayOptions options, string rule)
    {
        var oauth = options.OAuth;
        var header = options.Backends[0].Credential!;
        var oauthCredential = options.Backends[2].Credential!;
        Action change = rule switch
        {
            "issuers without resource" => () => oauth.Resource = null,
            "resource with fragment" => () => oauth.Resource = new Uri("https://gateway.example/mcp#x"),
            "resource not http" => () => oauth.Resource = new Uri("ftp://gateway.example/mcp"),
            "issuer name repeated" => () => oauth.Issuers[1].Name = "CORP",
            "issuer name malformed" => () => oauth.Issuers[0].Name = "corp idp",
            "issuer missing" => () => oauth.Issuers[0].Issuer = null,
            "issuer over plain http off loopback" => () => oauth.Issuers[1].Issuer = new Uri("http://login.partner.example/"),
            "issuer repeated" => () => oauth.Issuers[1].Issuer = new Uri("https://login.example"),
            "metadata over plain http off loopback" => () => oauth.Issuers[0].MetadataAddress = new Uri("http://login.example/.well-known/openid-configuration"),
            "required scope with a space" => () => oauth.Issuers[0].RequiredScopes[0] = "mcp tools",
            "default role undefined" => () => oauth.Issuers[0].DefaultRoles[0] = "nobody",
            "clock skew over five minutes" => () => oauth.Issuers[0].ClockSkew = TimeSpan.FromMinutes(6),
            "header credential without secret setting" => () => header.SecretSetting = null,
            "secret setting with a space" => () => header.SecretSetting = "Credentials alpha",
            "client credentials without token endpoint" => () => oauthCredential.TokenEndpoint = null,
            "client credentials without client id" => () => oauthCredential.ClientId = " ",
            "token endpoint over plain http off loopback" => () => oauthCredential.TokenEndpoint = new Uri("http://login.example/connect/token"),
            "token exchange without oauth" => () =>
            {
                oauthCredential.Kind = CredentialKind.TokenExchange;
                options.OAuth = new OAuthOptions();
            },
            "credential on a stdio backend" => () => options.Backends[1].Credential = new BackendCredentialOptions { Kind = CredentialKind.Header, SecretSetting = "Credentials:local" },
            "credential kind unknown" => () => header.Kind = (CredentialKind)42,
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, null),
        };
        change();
    }
}
