using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Contracts.Messages;
using Gateway.Testing.Aspire;
using MassTransit;

namespace Gateway.AuditService.Tests.EndToEnd;

/// <summary>
/// The real audit service process with the AppHost's RabbitMQ node and audit database (the AppHost's model started in
/// part through <see cref="GatewayAppBuilder"/>), plus a publisher bus standing in for the proxies.
/// </summary>
internal sealed class AuditSystem : IAsyncDisposable
{
    /// <summary>The bound of every wait on the system: a start, a restart, a stream being stored.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMinutes(3);

    private const int EventsPerMessage = 10;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private AuditSystem(GatewayTestApp app, IBusControl bus)
    {
        App = app;
        Bus = bus;
    }

    public GatewayTestApp App { get; }

    public IBusControl Bus { get; }

    /// <param name="postgres">Store in a private PostgreSQL server instead of the default SQLite file.</param>
    /// <param name="configure">Changes to the model before it starts, e.g. the audit service's environment.</param>
    public static async Task<AuditSystem> StartAsync(bool postgres = false, Action<GatewayAppBuilder>? configure = null)
    {
        var builder = (await GatewayAppBuilder.CreateAsync(args: $"--AppHost:AuditDb={(postgres ? "postgres" : "sqlite")}")).Only("audit")
            // Pinned, not left to the default: every stored event must still be there when the test reads it back.
            .WithEnvironment("audit", "Gateway__Audit__Retention__Days", "0");
        configure?.Invoke(builder);
        var app = await builder.StartAsync();
        try
        {
            var messaging = await app.GetConnectionStringAsync("messaging")
                ?? throw new InvalidOperationException("messaging has no connection string");
            var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(new Uri(messaging)));
            await bus.StartAsync();
            return new AuditSystem(app, bus);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the broker and the audit service are both healthy again (after a test that restarted one).</summary>
    public async Task WaitForHealthyAsync()
    {
        using var deadline = new CancellationTokenSource(Settle);
        await App.WaitForAllHealthyAsync(deadline.Token);
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

    /// <summary>Publishes the events in proxy-sized batches, a few at a time, retrying through outages.</summary>
    public async Task PublishStreamAsync(IReadOnlyList<AuditEvent> events)
    {
        using var timeout = new CancellationTokenSource(Settle);
        await Parallel.ForEachAsync(
            events.Chunk(EventsPerMessage),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = timeout.Token },
            async (chunk, ct) => await PublishReliablyAsync(new AuditEventBatch(chunk), ct));
    }

    /// <summary>The stored events of one client, through the export API.</summary>
    public async Task<List<AuditEvent>> StoredAsync(string clientId)
    {
        using var http = App.CreateAdminClient("audit");
        http.Timeout = TimeSpan.FromSeconds(30);
        var body = await http.GetStringAsync(new Uri($"/api/audit/export?format=ndjson&client={Uri.EscapeDataString(clientId)}", UriKind.Relative));
        return [.. body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonSerializer.Deserialize<AuditEvent>(line, Json)!)];
    }

    /// <summary>
    /// Polls the export until <paramref name="condition"/> holds, within <see cref="Settle"/>; the service and the broker
    /// may be restarting meanwhile. Returns the last reading either way, for the caller's assertions to explain.
    /// </summary>
    public async Task<List<AuditEvent>> WaitForStoredAsync(string clientId, Func<List<AuditEvent>, bool> condition)
    {
        using var deadline = new CancellationTokenSource(Settle);
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
            catch (TaskCanceledException)
            {
                // The service took the request and went away before answering.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), CancellationToken.None);
        }

        return stored;
    }

    /// <summary>Waits until at least every one of <paramref name="events"/> is stored (more would be a duplicate).</summary>
    public Task<List<AuditEvent>> WaitForAllStoredAsync(string clientId, IReadOnlyCollection<AuditEvent> events) =>
        WaitForStoredAsync(clientId, s => s.Count >= events.Count);

    public async ValueTask DisposeAsync()
    {
        await Bus.StopAsync();
        await App.DisposeAsync();
    }
}
