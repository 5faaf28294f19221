using Gateway.Proxy.Extensions;
using Gateway.Proxy.Tests.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Tests.Hosting;

public sealed class InlineIoTests
{
    [Fact]
    public async Task By_default_Kestrel_and_socket_completions_run_on_the_socket_threads()
    {
        // Disposed asynchronously, as every factory here: the synchronous Dispose tears the host down without
        // stopping it, under the application's own Run.
        await using var factory = new GatewayFactory(GatewayFactory.Settings());

        var transport = factory.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;

        Assert.True(transport.UnsafePreferInlineScheduling);
        Assert.Equal("1", Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"));
    }

    [Fact]
    public async Task InlineIo_false_leaves_Kestrel_dispatching_to_the_thread_pool()
    {
        await using var gateway = new GatewayFactory(GatewayFactory.Settings());
        await using var factory = gateway.WithWebHostBuilder(host => host.UseSetting(InlineIoExtensions.SettingName, "false"));

        var transport = factory.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;

        Assert.False(transport.UnsafePreferInlineScheduling);
    }
}
