using Gateway.AppHost.Orchestration;

namespace Gateway.IntegrationTests.Hosting;

public sealed class PortAllocatorTests
{
    [Fact]
    public void A_free_stable_port_is_used_as_is()
    {
        var allocator = new PortAllocator(_ => true);

        Assert.Equal(5080, allocator.Allocate("proxy", 5080));
        Assert.Empty(allocator.Conflicts);
    }

    [Fact]
    public void A_taken_stable_port_is_a_conflict_naming_the_setting_that_moves_it()
    {
        var allocator = new PortAllocator(port => port != 5080);

        allocator.Allocate("proxy", 5080);

        var conflict = Assert.Single(allocator.Conflicts);
        Assert.Contains("Port 5080 for proxy is in use", conflict, StringComparison.Ordinal);
        Assert.Contains("AppHost:Ports:proxy=", conflict, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_stable_port_given_twice_is_a_conflict()
    {
        var allocator = new PortAllocator(_ => true);

        allocator.Allocate("proxy", 5080);
        allocator.Allocate("audit", 5080);

        Assert.Contains("for audit", Assert.Single(allocator.Conflicts), StringComparison.Ordinal);
    }

    [Fact]
    public void Free_ports_are_never_handed_out_twice_and_are_bindable()
    {
        var allocator = new PortAllocator();

        var ports = Enumerable.Range(0, 50).Select(_ => allocator.Allocate("test", null)).ToArray();

        Assert.Equal(ports.Length, ports.Distinct().Count());
        Assert.All(ports, port => Assert.True(PortAllocator.IsLoopbackPortFree(port)));
    }
}
