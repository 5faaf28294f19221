using Gateway.Contracts.Configuration;
using Gateway.Proxy.Tests.Pipeline;
using Gateway.Authentication;
using Microsoft.AspNetCore.Http;

namespace Gateway.Proxy.Tests.Authentication;

/// <summary>
/// API keys are looked up by their SHA-256 without allocating; the table follows configuration reloads; a request is
/// authenticated from its headers the same way for the ApiKey scheme and the MCP endpoint.
/// </summary>
public sealed class ApiKeyDirectoryTests
{
    [Fact]
    public void Keys_are_found_by_hash_short_or_long_and_unknown_keys_are_not()
    {
        var longKey = new string('k', 2000); // past the stack buffer: hashed through a pooled one
        var options = new TestOptionsMonitor<GatewayOptions>(With(("short", "key-1"), ("long", longKey)));
        using var directory = new ApiKeyDirectory(options);

        Assert.Equal("short", directory.FindByKey("key-1")?.Id);
        Assert.Equal("long", directory.FindByKey(longKey)?.Id);
        Assert.Null(directory.FindByKey("key-2"));
        Assert.Null(directory.FindByKey(""));
    }

    [Fact]
    public void A_reload_replaces_the_keys()
    {
        var options = new TestOptionsMonitor<GatewayOptions>(With(("first", "old-key")));
        using var directory = new ApiKeyDirectory(options);

        options.Set(With(("second", "new-key")));

        Assert.Null(directory.FindByKey("old-key"));
        Assert.Equal("second", directory.FindByKey("new-key")?.Id);
    }

    [Theory]
    [InlineData("X-Api-Key", "key-1")]
    [InlineData("X-Api-Key", "  key-1 ")]
    [InlineData("Authorization", "Bearer key-1")]
    [InlineData("Authorization", "bearer key-1")]
    public async Task A_known_key_in_either_header_authenticates_its_client(string header, string value)
    {
        using var directory = new ApiKeyDirectory(new TestOptionsMonitor<GatewayOptions>(With(("short", "key-1"))));

        var result = await directory.Authenticate(Headers((header, value)));

        Assert.True(result.Succeeded);
        Assert.Equal("short", result.Principal.GetClientId());
    }

    [Theory]
    [InlineData("X-Api-Key", "key-2")]
    [InlineData("X-Api-Key", "")]
    [InlineData("Authorization", "Basic a2V5LTE=")]
    [InlineData("Authorization", "Bearer ")]
    public async Task An_unknown_or_malformed_key_fails_even_with_anonymous_access(string header, string value)
    {
        var options = With(("short", "key-1"));
        options.AnonymousClientId = "guest";
        using var directory = new ApiKeyDirectory(new TestOptionsMonitor<GatewayOptions>(options));

        var result = await directory.Authenticate(Headers((header, value)));

        Assert.False(result.Succeeded);
        Assert.NotNull(result.Failure);
    }

    [Fact]
    public async Task Without_a_key_the_anonymous_client_authenticates_only_where_configured()
    {
        var open = With(("short", "key-1"));
        open.AnonymousClientId = "guest";
        open.AnonymousRoles.Add("reader");
        using var openDirectory = new ApiKeyDirectory(new TestOptionsMonitor<GatewayOptions>(open));
        using var closedDirectory = new ApiKeyDirectory(new TestOptionsMonitor<GatewayOptions>(With(("short", "key-1"))));

        var anonymous = await openDirectory.Authenticate(Headers());
        var nobody = await closedDirectory.Authenticate(Headers());

        Assert.True(anonymous.Succeeded);
        Assert.Equal("guest", anonymous.Principal.GetClientId());
        Assert.True(anonymous.Principal.IsInRole("reader"));
        Assert.True(nobody.None);
    }

    private static HeaderDictionary Headers(params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary[name] = value;
        }

        return dictionary;
    }

    private static GatewayOptions With(params (string Id, string Key)[] clients)
    {
        var options = new GatewayOptions();
        foreach (var (id, key) in clients)
        {
            // Stored hashes may be upper case; lookups must not care.
            options.Clients.Add(new ClientOptions { Id = id, KeySha256 = GatewayAuth.HashKey(key).ToUpperInvariant(), Roles = ["r"] });
        }

        return options;
    }
}
