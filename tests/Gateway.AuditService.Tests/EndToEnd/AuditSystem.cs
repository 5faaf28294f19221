extern alias apphost;

using System.Net.Http.Headers;
using System.Text.Json;
using apphost::Gateway.AppHost.Hosting;
using apphost::Gateway.AppHost.Testing;
using Gateway.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.Configuration;

namespace Gateway.AuditService.Tests.EndToEnd;

/// <summary>
/// The real audit service process with a real RabbitMQ and audit database, started by the AppHost's testing builder
/// (free ports, a temp run folder deleted on dispose), plus a publisher bus standing in for the proxies.
/// </summary>
internal sealed class AuditSystem : IAsyncDisposable
{
    private readonly DistributedApplication _app;
    private readonly string _adminKey;

    private AuditSystem(DistributedApplication app, string adminKey, IBusControl bus)
    {
        _app = app;
        _adminKey = adminKey;
        Bus = bus;
    }

    public DistributedApplication App => _app;

    public IBusControl Bus { get; }

    /// <param name="postgres">Store in a private PostgreSQL server instead of the default SQLite file.</param>
    /// <param name="configure">Changes to the model before it starts, e.g. the audit service's environment.</param>
    public static async Task<AuditSystem> StartAsync(bool postgres = false, Action<GatewayTestingBuilder>? configure = null)
    {
        var builder = GatewayTestingBuilder.Create(configuration => configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["AppHost:AuditDb"] = postgres ? "postgres" : "sqlite" }));
        // Pinned, not left to the default: every stored event must still be there when the test reads it back.
        builder.WithEnvironment("audit", "Gateway__Audit__Retention__Days", "0");
        configure?.Invoke(builder);
        // "everything" only because the gateway.json the audit service is given names it as a backend: StartOnly does
        // not follow that edge yet (KeyNotFoundException 'everything' without it).
        var app = await builder.StartOnly("audit", "everything").StartAsync();
        try
        {
            var messaging = await app.GetConnectionStringAsync("messaging")
                ?? throw new InvalidOperationException("messaging has no connection string");
            var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(new Uri(messaging)));
            await bus.StartAsync();
            return new AuditSystem(app, builder.AdminApiKey, bus);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Publishes until the broker confirms, as the proxy's buffer does: a publish that fails while the broker is away
    /// is sent again, so an event may arrive twice but never not at all.
    /// </summary>
    public async Task PublishReliablyAsync<T>(T message, CancellationToken cancellationToken)
        where T : class
    {
        while (true)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                await Bus.Publish(message, attempt.Token);
                return;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }
    }

    /// <summary>The stored events of one client, through the export API (newest first).</summary>
    public async Task<List<AuditEvent>> StoredAsync(string clientId)
    {
        using var http = _app.CreateHttpClient("audit");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _adminKey);
        http.Timeout = TimeSpan.FromSeconds(30);
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
        var body = await http.GetStringAsync(new Uri($"/api/audit/export?format=ndjson&client={Uri.EscapeDataString(clientId)}", UriKind.Relative));
        return body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonSerializer.Deserialize<AuditEvent>(line, json)!).ToList();
    }

    /// <summary>Polls the export until <paramref name="condition"/> holds; the service and broker may be restarting.</summary>
    public async Task<List<AuditEvent>> WaitForStoredAsync(string clientId, Func<List<AuditEvent>, bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        List<AuditEvent> stored = [];
        while (!deadline.IsCancellationRequested)
        {
            try
            {
                stored = await StoredAsync(clientId);
                if (condition(stored))
                {
                    return stored;
                }
            }
            catch (HttpRequestException)
            {
                // The service is down for the moment (killed, restarting).
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), CancellationToken.None);
        }

        return stored;
    }

    public async ValueTask DisposeAsync()
    {
        await Bus.StopAsync();
        await _app.DisposeAsync();
    }
}
