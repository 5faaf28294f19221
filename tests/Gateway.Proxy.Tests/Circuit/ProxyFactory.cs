using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace Gateway.Proxy.Tests.Circuit;

/// <summary>
/// One proxy replica in memory with the circuit gate wired to a real Redis protocol server and the MassTransit
/// in-memory harness. Backends alpha and beta trip after 3 failures; outcome reports every 50 ms. Its clients send
/// the admin's API key (<c>/health</c> shows its checks to authenticated callers only).
/// </summary>
public sealed class ProxyFactory(string redis, string keyPrefix, bool withBackends = true) : WebApplicationFactory<Program>
{
    private const string ApiKey = "circuit-tests-admin-key";

    protected override void ConfigureClient(HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:redis"] = redis,
            ["ConnectionStrings:messaging"] = "amqp://guest:guest@127.0.0.1:1/",
            ["Gateway:Circuit:InstanceId"] = "proxy-test",
            ["Gateway:Circuit:KeyPrefix"] = keyPrefix,
            ["Gateway:Circuit:SnapshotRetryInterval"] = "00:00:00.100",
            ["Gateway:Circuit:OutcomeReportInterval"] = "00:00:00.050",
            ["Gateway:CircuitBreaker:ConsecutiveFailures"] = "3",
            ["Gateway:Clients:0:Id"] = "ops",
            ["Gateway:Clients:0:KeySha256"] = Gateway.Authentication.GatewayAuth.HashKey(ApiKey),
            ["Gateway:Clients:0:Roles:0"] = "admin",
        };
        if (withBackends)
        {
            settings["Gateway:Backends:0:Name"] = "alpha";
            settings["Gateway:Backends:0:Url"] = "http://127.0.0.1:1/mcp";
            settings["Gateway:Backends:1:Name"] = "beta";
            settings["Gateway:Backends:1:Url"] = "http://127.0.0.1:1/mcp";
        }

        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            // The proxy's composition root owns AddRedisClient/AddGatewayMessaging; the gate only needs these two.
            services.RemoveAll<IConnectionMultiplexer>();
            services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redis));
            services.AddMassTransitTestHarness();
        });
    }
}
