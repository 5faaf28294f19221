using Gateway.Contracts.Configuration;
using Gateway.Proxy.Tests.Pipeline;
using Gateway.ServiceDefaults.Authentication;

namespace Gateway.Proxy.Tests.Authentication;

/// <summary>API keys are looked up by their SHA-256 without allocating; the table follows configuration reloads.</summary>
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
