using CsCheck;
using System.Text.RegularExpressions;
using Gateway.Proxy.Catalog;

namespace Gateway.Proxy.Tests.Catalog;

public sealed partial class CatalogNamingTests
{
    private static readonly Dictionary<(string Backend, string Name), AssignedName> s_nothingShown = [];

    private static readonly Dictionary<string, NamingRule> s_bare = new()
    {
        ["a"] = new(0, null), ["b"] = new(1, null), ["c"] = new(2, null), ["d"] = new(3, null),
        ["files"] = new(0, null), ["web"] = new(1, null),
    };

    [Fact]
    public void Unique_names_are_kept_as_the_backend_sent_them()
    {
        var names = Shown(CatalogNaming.AssignNames([("a", "read"), ("b", "write.file")], s_bare, s_nothingShown));

        Assert.Equal(["read", "write.file"], names);
    }

    [Fact]
    public void On_a_fresh_start_the_backend_configured_first_keeps_a_contested_name_and_the_other_gets_its_backend_as_prefix()
    {
        var names = CatalogNaming.AssignNames([("web", "read"), ("files", "read"), ("web", "fetch")], s_bare, s_nothingShown);

        Assert.Equal(["web__read", "read", "fetch"], Shown(names));
        Assert.Equal(["read", "read", "fetch"], names.Select(n => n.Wanted));
    }

    [Fact]
    public void A_name_already_shown_keeps_its_owner_even_when_a_backend_configured_earlier_starts_listing_it()
    {
        var shown = new Dictionary<(string, string), AssignedName> { [("web", "read")] = new("read", "read") };

        var names = CatalogNaming.AssignNames([("files", "read"), ("web", "read")], s_bare, shown);

        Assert.Equal(["files__read", "read"], Shown(names));
    }

    [Fact]
    public void Prefixed_mode_applies_to_every_name_of_its_backend()
    {
        var rules = new Dictionary<string, NamingRule> { ["files"] = new(0, "fs"), ["web"] = new(1, null) };

        var names = CatalogNaming.AssignNames([("files", "read"), ("files", "stat"), ("web", "read")], rules, s_nothingShown);

        Assert.Equal(["fs__read", "fs__stat", "read"], Shown(names));
    }

    [Fact]
    public void A_uri_shown_by_one_backend_is_qualified_for_the_other()
    {
        var names = CatalogNaming.AssignUris([("b", "file:///x"), ("a", "file:///x")], s_bare, s_nothingShown);

        Assert.Equal(["gateway:b:file:///x", "file:///x"], Shown(names));
    }

    [Fact]
    public void Built_names_stay_within_the_tool_name_pattern_and_are_unique()
    {
        var generator = Gen.Select(
            Gen.Char["abcd"].Select(c => c.ToString()),
            Gen.String[Gen.Char["ab_ -.x/é"], 1, 80]).Array[1, 12];

        generator.Sample(items =>
        {
            var names = CatalogNaming.AssignNames(items, s_bare, s_nothingShown);

            Assert.Equal(items.Length, names.Select(n => n.Shown).Distinct().Count());
            Assert.All(names.Where(n => n.Shown != n.Wanted), n => Assert.Matches(ToolName(), n.Shown));
        });
    }

    [Fact]
    public void Names_do_not_depend_on_the_order_backends_answered_in()
    {
        (string, string)[] items = [("b", "read"), ("a", "read"), ("a", "b__read"), ("c", "x")];

        var forward = Shown(CatalogNaming.AssignNames(items, s_bare, s_nothingShown));
        var backward = Shown(CatalogNaming.AssignNames(items.Reverse().ToArray(), s_bare, s_nothingShown));

        Assert.Equal(forward, backward.Reverse());
        Assert.Equal(forward.Length, forward.Distinct().Count());
    }

    private static string[] Shown(AssignedName[] names) => [.. names.Select(n => n.Shown)];

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex ToolName();
}
