using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Proxy.Tests.Fakes;

/// <summary>The proxy in-process, configured from a flat key/value list (no Redis, no bus).</summary>
internal sealed class GatewayFactory(
    IReadOnlyDictionary<string, string?> settings,
    bool kestrel = false,
    Action<IServiceCollection>? services = null) : WebApplicationFactory<Program>
{
    /// <summary>Settings for anonymous access (a role allowed every tool, resource and prompt) and the given HTTP backends.</summary>
    public static Dictionary<string, string?> Settings(params (string Name, Uri Url)[] backends)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:AnonymousClientId"] = "anonymous",
            ["Gateway:AnonymousRoles:0"] = "user",
            ["Gateway:Clients:0:Id"] = "agent-1",
            ["Gateway:Clients:0:KeySha256"] = Gateway.Authentication.GatewayAuth.HashKey("key-1"),
            ["Gateway:Clients:0:Roles:0"] = "user",
            ["Gateway:Roles:user:Tools:0"] = "*",
            ["Gateway:Roles:user:Resources:0"] = "*",
            ["Gateway:Roles:user:Prompts:0"] = "*",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        for (var i = 0; i < backends.Length; i++)
        {
            settings[$"Gateway:Backends:{i}:Name"] = backends[i].Name;
            settings[$"Gateway:Backends:{i}:Url"] = backends[i].Url.ToString();
            settings[$"Gateway:Backends:{i}:Timeout"] = "00:00:05";
        }

        return settings;
    }

    /// <summary>The real listening address when started with Kestrel.</summary>
    public Uri ListeningAddress
    {
        get
        {
            StartServer();
            var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Uri(address);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        if (kestrel)
        {
            UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        }

        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(settings));
        if (services is not null)
        {
            builder.ConfigureServices(services);
        }
    }
}
