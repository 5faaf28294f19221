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
    public void By_default_Kestrel_and_socket_completions_run_on_the_socket_threads()
    {
        using var factory = new GatewayFactory(GatewayFactory.Settings());

        var transport = factory.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;

        Assert.True(transport.UnsafePreferInlineScheduling);
        Assert.Equal("1", Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"));
    }

    [Fact]
    public void InlineIo_false_leaves_Kestrel_dispatching_to_the_thread_pool()
    {
        using var factory = new GatewayFactory(GatewayFactory.Settings())
            .WithWebHostBuilder(host => host.UseSetting(InlineIoExtensions.SettingName, "false"));

        var transport = factory.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;

        Assert.False(transport.UnsafePreferInlineScheduling);
    }
}
