using Gateway.Contracts.Configuration;
using Gateway.Proxy.Pipeline;
using Gateway.Proxy.Pipeline.Access;

namespace Gateway.Proxy.Tests.Pipeline;

public sealed class AccessPolicyTests
{
    [Theory]
    [InlineData("read_*", "read_file", true)]
    [InlineData("read_*", "read_", true)]
    [InlineData("read_*", "rea", false)]
    [InlineData("*_file", "write_file", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("*", "", true)]
    [InlineData("a*b*c", "aXbYbZc", true)]
    [InlineData("a*b*c", "aXbYbZ", false)]
    [InlineData("file:///docs/*", "file:///docs/x/y.md", true)]
    [InlineData("Echo", "echo", false)]
    public void GlobMatchesStarAndQuestionMarkOrdinally(string pattern, string name, bool expected) =>
        Assert.Equal(expected, Glob.IsMatch(pattern, name));

    [Fact]
    public void RolePatternsApplyPerItemKind()
    {
        var policy = Policy(new RoleOptions { Tools = ["search"], Resources = ["search"] });
        var client = new ClientIdentity("c", ["r"], false);

        Assert.True(policy.IsAllowed(client, CatalogItemKind.Tool, "search"));
        Assert.True(policy.IsAllowed(client, CatalogItemKind.Resource, "search"));
        Assert.False(policy.IsAllowed(client, CatalogItemKind.Prompt, "search"));
    }

    [Fact]
    public void AdminRoleAllowsEverythingAndUnknownRolesAllowNothing()
    {
        var policy = Policy(new RoleOptions());

        Assert.True(policy.IsAllowed(new ClientIdentity("a", ["admin"], false), CatalogItemKind.Tool, "anything"));
        Assert.False(policy.IsAllowed(new ClientIdentity("b", ["nobody"], false), CatalogItemKind.Tool, "anything"));
        Assert.False(policy.IsAllowed(new ClientIdentity("c", [], true), CatalogItemKind.Prompt, "anything"));
    }

    [Fact]
    public void AnyOfTheClientsRolesMayAllowTheItem()
    {
        var options = new GatewayOptions();
        options.Roles["a"] = new RoleOptions { Tools = ["one"] };
        options.Roles["b"] = new RoleOptions { Tools = ["two"] };
        using var policy = new AccessPolicy(new TestOptionsMonitor<GatewayOptions>(options));
        var client = new ClientIdentity("c", ["a", "b"], false);

        Assert.True(policy.IsAllowed(client, CatalogItemKind.Tool, "one"));
        Assert.True(policy.IsAllowed(client, CatalogItemKind.Tool, "two"));
        Assert.False(policy.IsAllowed(client, CatalogItemKind.Tool, "three"));
    }

    [Fact]
    public void ReloadedRolesTakeEffectWithoutRestart()
    {
        var options = new GatewayOptions();
        options.Roles["r"] = new RoleOptions { Tools = ["old"] };
        var monitor = new TestOptionsMonitor<GatewayOptions>(options);
        using var policy = new AccessPolicy(monitor);
        var client = new ClientIdentity("c", ["r"], false);

        var reloaded = new GatewayOptions();
        reloaded.Roles["r"] = new RoleOptions { Tools = ["new_*"] };
        monitor.Set(reloaded);

        Assert.False(policy.IsAllowed(client, CatalogItemKind.Tool, "old"));
        Assert.True(policy.IsAllowed(client, CatalogItemKind.Tool, "new_tool"));
    }

    private static AccessPolicy Policy(RoleOptions role)
    {
        var options = new GatewayOptions();
        options.Roles["r"] = role;
        return new AccessPolicy(new TestOptionsMonitor<GatewayOptions>(options));
    }
}
