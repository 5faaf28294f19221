using System.Text.Json;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Tests.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Tests.Hosting;

/// <summary>The proxy as deployed: its backends in a real gateway.json that is rewritten while it runs.</summary>
public sealed class GatewayConfigReloadTests : IDisposable
{
    /// <summary>Bounds a wait for a file-watcher reload so a broken watcher fails the test instead of hanging it.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private readonly string _folder = Directory.CreateTempSubdirectory("proxy-config-").FullName;

    private string FilePath => Path.Combine(_folder, "gateway.json");

    [Fact]
    public async Task A_rejected_reload_shows_on_health_with_its_errors_and_the_proxy_keeps_its_last_good_backends()
    {
        WriteBackendUrl("http://127.0.0.1:1/mcp");
        await using var gateway = new GatewayFactory(GatewayFactory.Settings());
        await using var factory = gateway.WithWebHostBuilder(host => host.UseSetting("Gateway:ConfigFile", FilePath));
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "key-1");
        var monitor = factory.Services.GetRequiredService<IOptionsMonitor<GatewayOptions>>();
        Assert.Equal("Healthy", (await ConfigCheckAsync(client)).GetProperty("status").GetString());

        WriteBackendUrl("ftp://127.0.0.1/mcp");
        var check = await WaitForConfigCheckAsync(client, "Degraded");

        var errors = check.GetProperty("data").GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains(errors, e => e!.Contains("Gateway.Backends[0].Url", StringComparison.Ordinal));
        Assert.Equal(new Uri("http://127.0.0.1:1/mcp"), Assert.Single(monitor.CurrentValue.Backends).Url);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Replaces the file in one step, so the watcher never reloads a half-written one.</summary>
    private void WriteBackendUrl(string url)
    {
        var next = FilePath + ".next";
        File.WriteAllText(next, $$"""{ "Gateway": { "Backends": [ { "Name": "alpha", "Url": "{{url}}" } ] } }""");
        File.Move(next, FilePath, overwrite: true);
    }

    private static async Task<JsonElement> WaitForConfigCheckAsync(HttpClient client, string status)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (true)
        {
            var check = await ConfigCheckAsync(client);
            if (check.GetProperty("status").GetString() == status)
            {
                return check;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), guard.Token);
        }
    }

    private static async Task<JsonElement> ConfigCheckAsync(HttpClient client)
    {
        using var health = JsonDocument.Parse(await client.GetStringAsync(new Uri("/health", UriKind.Relative)));
        return health.RootElement.GetProperty("checks").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == GatewayConfigurationExtensions.HealthCheckName)
            .Clone();
    }
}
