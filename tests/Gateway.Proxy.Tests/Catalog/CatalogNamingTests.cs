using System.Text.RegularExpressions;
using Gateway.Proxy.Catalog;

namespace Gateway.Proxy.Tests.Catalog;

public sealed partial class CatalogNamingTests
{
    private static readonly Dictionary<string, string?> s_noPrefixes = new();

    [Fact]
    public void Unique_names_are_kept_as_the_backend_sent_them()
    {
        var names = CatalogNaming.Assign([("a", "read"), ("b", "write.file")], s_noPrefixes);

        Assert.Equal(["read", "write.file"], names);
    }

    [Fact]
    public void Colliding_names_get_their_backend_as_prefix()
    {
        var names = CatalogNaming.Assign([("files", "read"), ("web", "read"), ("web", "fetch")], s_noPrefixes);

        Assert.Equal(["files__read", "web__read", "fetch"], names);
    }

    [Fact]
    public void Configured_prefix_applies_to_every_name_of_its_backend()
    {
        var prefixes = new Dictionary<string, string?> { ["files"] = "fs" };

        var names = CatalogNaming.Assign([("files", "read"), ("files", "stat"), ("web", "read")], prefixes);

        Assert.Equal(["fs__read", "fs__stat", "read"], names);
    }

    [Fact]
    public void Built_names_stay_within_the_tool_name_pattern()
    {
        var longName = new string('n', 70);

        var names = CatalogNaming.Assign([("a", longName), ("b", longName), ("c", "x y"), ("d", "x y")], s_noPrefixes);

        Assert.All(names, n => Assert.Matches(ToolName(), n));
        Assert.Equal(4, names.Distinct().Count());
    }

    [Fact]
    public void Names_do_not_depend_on_the_order_backends_answered_in()
    {
        (string, string)[] items = [("b", "read"), ("a", "read"), ("a", "b__read"), ("c", "x")];

        var forward = CatalogNaming.Assign(items, s_noPrefixes);
        var backward = CatalogNaming.Assign(items.Reverse().ToArray(), s_noPrefixes);

        Assert.Equal(forward, backward.Reverse());
        Assert.Equal(forward.Length, forward.Distinct().Count());
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex ToolName();
}
