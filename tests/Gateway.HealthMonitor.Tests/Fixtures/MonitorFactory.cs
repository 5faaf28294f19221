using Gateway.Authentication;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;

namespace Gateway.HealthMonitor.Tests.Fixtures;

/// <summary>
/// One health monitor replica in memory: real Redis protocol (Garnet), the MassTransit in-memory test harness instead
/// of RabbitMQ, fast probe and lease timings, one HTTP backend plus one stdio backend, and one OpenAI-kind LLM provider
/// whose key is <see cref="ProviderKey"/>.
/// </summary>
public sealed class MonitorFactory(string redis, string keyPrefix, string instanceId, Uri backendUrl, Uri providerUrl) : WebApplicationFactory<Program>
{
    public const string ProviderKey = "sk-provider-key";

    public const string AdminKey = "admin-key";
    public const string AuditorKey = "auditor-key";
    public const string AgentKey = "agent-key";

    /// <summary>Backend alpha's own credential (a static header), which probes must present.</summary>
    public const string ProbeSecret = "alpha-probe-secret";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:redis"] = redis,
            ["ConnectionStrings:messaging"] = "amqp://guest:guest@127.0.0.1:1/",
            ["Gateway:HealthMonitor:InstanceId"] = instanceId,
            ["Gateway:HealthMonitor:KeyPrefix"] = keyPrefix,
            ["Gateway:HealthMonitor:ProbeInterval"] = "00:00:00.100",
            ["Gateway:HealthMonitor:ProbeTimeout"] = "00:00:01",
            ["Gateway:HealthMonitor:LeaseTtl"] = "00:00:01",
            ["Gateway:HealthMonitor:LeaseRenewInterval"] = "00:00:00.200",
            ["Gateway:HealthMonitor:TickInterval"] = "00:00:00.050",
            ["Gateway:CircuitBreaker:ConsecutiveFailures"] = "5",
            ["Gateway:CircuitBreaker:BreakDuration"] = "00:00:00.500",
            ["Gateway:Backends:0:Name"] = "alpha",
            ["Gateway:Backends:0:Url"] = backendUrl.ToString(),
            ["Gateway:Backends:0:Credential:Kind"] = "Header",
            ["Gateway:Backends:0:Credential:SecretSetting"] = "Credentials:alpha",
            ["Credentials:alpha"] = ProbeSecret,
            ["Gateway:Backends:1:Name"] = "local",
            ["Gateway:Backends:1:Transport"] = "Stdio",
            ["Gateway:Backends:1:Command"] = "true",
            ["Gateway:Providers:0:Name"] = "llm",
            ["Gateway:Providers:0:BaseUrl"] = providerUrl.ToString(),
            ["Gateway:Providers:0:ApiKeySetting"] = "LLM_API_KEY",
            ["LLM_API_KEY"] = ProviderKey,
            ["Gateway:Clients:0:Id"] = "ops-admin",
            ["Gateway:Clients:0:KeySha256"] = GatewayAuth.HashKey(AdminKey),
            ["Gateway:Clients:0:Roles:0"] = GatewayAuth.AdminRole,
            ["Gateway:Clients:1:Id"] = "ops-auditor",
            ["Gateway:Clients:1:KeySha256"] = GatewayAuth.HashKey(AuditorKey),
            ["Gateway:Clients:1:Roles:0"] = GatewayAuth.AuditorRole,
            ["Gateway:Clients:2:Id"] = "agent",
            ["Gateway:Clients:2:KeySha256"] = GatewayAuth.HashKey(AgentKey),
            ["Gateway:Clients:2:Roles:0"] = "agents",
            // A role with no admin rights; it must exist, or the configuration is rejected.
            ["Gateway:Roles:agents:Tools:0"] = "*",
        };
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services => services.AddMassTransitTestHarness());
    }

    public HttpClient CreateClient(string apiKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return client;
    }
}
