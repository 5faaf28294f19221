using System.Collections.Immutable;
using System.Text;
using CsCheck;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Catalog;

namespace Gateway.Proxy.Tests.Catalog;

/// <summary>Generated sequences of configuration and listing changes, run through <see cref="CatalogMerge"/> snapshot after snapshot.</summary>
public sealed class CatalogChangeTests
{
    private static readonly string[] s_backends = ["a", "b", "c", "d", "e"];

    // Names that collide bare, and names that look like another backend's qualified form.
    private static readonly string[] s_tools = ["read", "write", "search", "a__read", "b__read", "c__search", "e__write"];

    /// <summary>Add (at any position), remove, relist, or switch the naming mode of one backend.</summary>
    private static readonly Gen<Change> s_change = Gen.Select(Gen.Int[0, 3], Gen.Int[0, s_backends.Length - 1], Gen.Int[0, 5],
        Gen.Int[0, (1 << s_tools.Length) - 1], Gen.Bool).Select((kind, backend, position, tools, prefixed) =>
            new Change(kind, s_backends[backend], position, tools, prefixed));

    [Fact]
    public void No_shown_name_ever_changes_owner_while_its_backend_lists_it_under_the_same_naming()
    {
        s_change.Array[1, 12].Sample(changes =>
        {
            var state = new List<Backend>();
            var snapshot = CatalogSnapshot.Empty;
            foreach (var change in changes)
            {
                var before = state.ToDictionary(b => b.Name);
                change.Apply(state);
                var next = Build(state, snapshot);
                foreach (var entry in next.Tools)
                {
                    if (before.TryGetValue(entry.Backend, out var was) && was.Prefixed == state.Single(b => b.Name == entry.Backend).Prefixed
                        && snapshot.Tools.FirstOrDefault(e => e.Backend == entry.Backend && e.OriginalName == entry.OriginalName) is { } old)
                    {
                        Assert.Equal(old.Name, entry.Name);
                    }
                }

                snapshot = next;
            }
        }, iter: 2_000);
    }

    [Fact]
    public void Every_listed_item_routes_to_its_owner_and_nothing_of_an_unconfigured_backend_is_listed()
    {
        s_change.Array[1, 12].Sample(changes =>
        {
            var state = new List<Backend>();
            var snapshot = CatalogSnapshot.Empty;
            foreach (var change in changes)
            {
                change.Apply(state);
                // The catalogs of every backend ever seen are offered: only configured ones may show.
                snapshot = CatalogMerge.Build([.. Catalogs(state), Catalog(new Backend("ghost", false, 0b111))], Options(state), snapshot);

                Assert.Equal(snapshot.Tools.Length, snapshot.Tools.Select(t => t.Name).Distinct().Count());
                Assert.Equal(state.Sum(b => b.Tools.Length), snapshot.Tools.Length);
                foreach (var entry in snapshot.Tools)
                {
                    Assert.Same(entry, snapshot.FindTool(entry.Name));
                    Assert.Contains(state, b => b.Name == entry.Backend && b.Tools.Contains(entry.OriginalName));
                }

                foreach (var collision in snapshot.Collisions)
                {
                    Assert.NotEqual(collision.Wanted, collision.Shown);
                }
            }
        }, iter: 2_000);
    }

    [Fact]
    public void A_removed_backend_leaves_the_next_snapshot_even_while_its_last_catalog_is_still_held()
    {
        List<Backend> state = [new("a", false, 0b1), new("b", false, 0b1)];
        var first = Build(state, CatalogSnapshot.Empty);

        var next = CatalogMerge.Build(Catalogs(state), Options([state[1]]), first);

        Assert.Equal(["b__read", "read"], first.Tools.Select(t => t.Name).Order());
        // b keeps the name it was shown under, and read is unknown now.
        Assert.Equal("b__read", Assert.Single(next.Tools).Name);
        Assert.Null(next.FindTool("read"));
    }

    private static CatalogSnapshot Build(List<Backend> state, CatalogSnapshot previous) => CatalogMerge.Build(Catalogs(state), Options(state), previous);

    private static List<BackendOptions> Options(IEnumerable<Backend> state) =>
        [.. state.Select(b => new BackendOptions { Name = b.Name, Url = new Uri("http://127.0.0.1/mcp"), Naming = b.Prefixed ? BackendNaming.Prefixed : BackendNaming.Auto })];

    private static IEnumerable<BackendCatalog> Catalogs(IEnumerable<Backend> state) => state.Select(Catalog);

    private static BackendCatalog Catalog(Backend backend) => new(backend.Name,
        [.. backend.Tools.Select(t => new CatalogEntry(t, backend.Name, t, Encoding.UTF8.GetBytes($$"""{"name":"{{t}}"}""")))], [], [], []);

    private sealed record Backend(string Name, bool Prefixed, int Mask)
    {
        public string[] Tools => [.. s_tools.Where((_, i) => (Mask & (1 << i)) != 0)];
    }

    private sealed record Change(int Kind, string Backend, int Position, int Tools, bool Prefixed)
    {
        public void Apply(List<Backend> state)
        {
            var index = state.FindIndex(b => b.Name == Backend);
            switch (Kind)
            {
                case 0 when index < 0:
                    state.Insert(Position % (state.Count + 1), new Backend(Backend, Prefixed, Tools));
                    break;
                case 1 when index >= 0:
                    state.RemoveAt(index);
                    break;
                case 2 when index >= 0:
                    state[index] = state[index] with { Mask = Tools };
                    break;
                case 3 when index >= 0:
                    state[index] = state[index] with { Prefixed = Prefixed };
                    break;
            }
        }
    }
}
