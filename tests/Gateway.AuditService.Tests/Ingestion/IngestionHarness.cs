using Gateway.AuditService.Ingestion;
using Gateway.AuditService.Storage;
using Gateway.AuditService.Tests.Infrastructure;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.AuditService.Tests.Ingestion;

/// <summary>
/// The ingestion consumer on MassTransit's in-memory test harness, writing to a real SQLite store in a temp folder.
/// Exercises the consumer's logic (validation, rejection, flattening, idempotency) without a broker.
/// </summary>
internal sealed class IngestionHarness : IAsyncDisposable
{
    private readonly TempDirectory _folder;
    private readonly ServiceProvider _services;

    private readonly IAuditStore _sqlite;

    private IngestionHarness(TempDirectory folder, ServiceProvider services, IAuditStore store, IAuditStore sqlite)
    {
        _folder = folder;
        _sqlite = sqlite;
        _services = services;
        Store = store;
        Harness = services.GetRequiredService<ITestHarness>();
    }

    public ITestHarness Harness { get; }

    public IAuditStore Store { get; }

    /// <param name="wrapStore">Puts a test double in front of the real SQLite store (to inject commit failures).</param>
    public static async Task<IngestionHarness> StartAsync(Func<IAuditStore, IAuditStore>? wrapStore = null)
    {
        var folder = new TempDirectory();
        var sqlite = StorageExtensions.Create($"Data Source={folder.File("audit.db")}", TimeProvider.System);
        await sqlite.MigrateAsync(default);
        var store = wrapStore?.Invoke(sqlite) ?? sqlite;
        var services = new ServiceCollection()
            .AddSingleton(store)
            .AddSingleton(TimeProvider.System)
            .AddLogging()
            .AddMassTransitTestHarness(bus =>
            {
                bus.AddConsumer<AuditIngestConsumer>(typeof(AuditIngestConsumerDefinition));
                // The harness gives up waiting once nothing moved for the inactivity timeout; on a machine shared by
                // several builds a batch can sit longer than the default before its thread runs.
                bus.SetTestTimeouts(testTimeout: TimeSpan.FromSeconds(60), testInactivityTimeout: TimeSpan.FromSeconds(10));
            })
            .AddOptions<AuditIngestionOptions>().Configure(o => o.BatchTimeLimit = TimeSpan.FromMilliseconds(20)).Services
            .BuildServiceProvider(validateScopes: true);
        var harness = new IngestionHarness(folder, services, store, sqlite);
        await harness.Harness.Start();
        return harness;
    }

    public IConsumerTestHarness<AuditIngestConsumer> Consumer =>
        Harness.GetConsumerHarness<AuditIngestConsumer>();

    /// <summary>
    /// Waits until a committed batch holds a message matching <paramref name="match"/>: the harness records a batch
    /// once Consume has returned, that is after the commit and after any rejection was sent.
    /// </summary>
    public async Task ConsumedAsync<T>(Func<ConsumeContext<T>, bool> match)
        where T : class =>
        Assert.True(await Consumer.Consumed.Any<Batch<T>>(batch => batch.Context.Message.Any(match)), $"no {typeof(T).Name} was consumed");

    /// <summary>Publishes with a known message id, so a test can wait for that very delivery.</summary>
    public async Task<Guid> PublishAsync<T>(T message)
        where T : class
    {
        var messageId = NewId.NextGuid();
        await Harness.Bus.Publish(message, context => context.MessageId = messageId);
        return messageId;
    }

    /// <summary>Messages the consumer sent to the error queue, with the reason header.</summary>
    public IEnumerable<(object Message, string? Reason)> Rejected() =>
        RejectedWithKind().Select(r => (r.Message, r.Reason));

    /// <summary>Messages the consumer sent to the error queue, with the reason and <c>MT-Reason</c> headers.</summary>
    public IEnumerable<(object Message, string? Reason, string? Kind)> RejectedWithKind() =>
        Harness.Sent.Select(_ => true)
            .Where(s => s.Context.DestinationAddress?.AbsolutePath.EndsWith("audit-events_error", StringComparison.Ordinal) == true)
            .Select(s => (s.MessageObject, s.Context.Headers.Get<string>(AuditIngestConsumer.ReasonHeader), s.Context.Headers.Get<string>("MT-Reason")));

    public async Task<List<Contracts.Messages.AuditEvent>> StoredAsync()
    {
        var all = new List<Contracts.Messages.AuditEvent>();
        await foreach (var e in Store.Queries.ExportAsync(new AuditFilter(), default))
        {
            all.Add(e);
        }

        return all;
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await _services.DisposeAsync();
        if (_sqlite is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }

        _folder.Dispose();
    }
}
