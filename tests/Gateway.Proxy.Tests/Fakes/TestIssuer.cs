using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Proxy.Tests.Fakes;

/// <summary>
/// An authorization server reduced to what a resource server reads: OpenID metadata and a JWKS on 127.0.0.1:0, and
/// tokens signed with its RSA key (or with a key it never published). Counts metadata and JWKS fetches.
/// </summary>
internal sealed class TestIssuer : IAsyncDisposable
{
    private static readonly string[] s_code = ["code"], s_public = ["public"], s_rs256 = ["RS256"];
    private readonly WebApplication _app;
    private readonly RsaSecurityKey _key = new(RSA.Create(2048)) { KeyId = "test-key-1" };
    private readonly RsaSecurityKey _unpublished = new(RSA.Create(2048)) { KeyId = "unpublished-key" };
    private int _jwksFetches;

    private TestIssuer(WebApplication app) => _app = app;

    public Uri Issuer { get; private set; } = null!;

    public int JwksFetches => Volatile.Read(ref _jwksFetches);

    /// <summary>The form fields of every <c>/token</c> request.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<IReadOnlyDictionary<string, string>> TokenRequestForms { get; } = new();

    public Uri TokenEndpoint => new(Issuer, "token");

    public static async Task<TestIssuer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var issuer = new TestIssuer(app);
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = issuer.Issuer.AbsoluteUri,
            ["jwks_uri"] = issuer.Issuer.AbsoluteUri + "jwks",
            ["token_endpoint"] = issuer.Issuer.AbsoluteUri + "token",
            ["response_types_supported"] = s_code,
            ["subject_types_supported"] = s_public,
            ["id_token_signing_alg_values_supported"] = s_rs256,
        }));
        app.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref issuer._jwksFetches);
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(issuer._key);
            return Results.Json(new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = jwk.Kid, n = jwk.N, e = jwk.E } } });
        });
        app.MapPost("/token", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            issuer.TokenRequestForms.Enqueue(form.ToDictionary(f => f.Key, f => f.Value.ToString()));
            if (form["client_id"] != "gateway" || form["client_secret"] != "gateway-secret")
            {
                return Results.Json(new { error = "invalid_client" }, statusCode: StatusCodes.Status401Unauthorized);
            }

            // Token exchange: the new token speaks for the subject token's user (read, not verified: a test double).
            var subject = "gateway";
            if (form["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange")
            {
                subject = new JsonWebToken(form["subject_token"].ToString()).Subject;
            }
            else if (form["grant_type"] != "client_credentials")
            {
                return Results.Json(new { error = "unsupported_grant_type" }, statusCode: StatusCodes.Status400BadRequest);
            }

            var token = issuer.Token(form["resource"].ToString(), clientId: "gateway", subject: subject, scope: form["scope"].ToString());
            return Results.Json(new { access_token = token, token_type = "Bearer", expires_in = 3600 });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        issuer.Issuer = new Uri(address.TrimEnd('/') + "/");
        return issuer;
    }

    /// <summary>A signed access token; every part can be spoiled for a negative case.</summary>
    public string Token(
        string audience,
        string clientId = "mcp-host",
        string? subject = "alice",
        string scope = "mcp:tools",
        string[]? roles = null,
        TimeSpan? lifetime = null,
        DateTime? notBefore = null,
        string? issuer = null,
        bool unpublishedKey = false)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object> { ["client_id"] = clientId, ["scope"] = scope };
        if (subject is not null)
        {
            claims["sub"] = subject;
        }

        if (roles is not null)
        {
            claims["roles"] = roles;
        }

        var expires = now + (lifetime ?? TimeSpan.FromMinutes(5));
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer.AbsoluteUri,
            Audience = audience,
            Claims = claims,
            IssuedAt = (notBefore ?? now) < expires ? (notBefore ?? now) : expires.AddMinutes(-1),
            NotBefore = (notBefore ?? now) < expires ? (notBefore ?? now) : expires.AddMinutes(-1),
            Expires = expires,
            SigningCredentials = new SigningCredentials(unpublishedKey ? _unpublished : _key, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
