using System.Collections.Concurrent;
using System.Globalization;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Audit;
using MassTransit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.IntegrationTests.Pipeline;

/// <summary>The proxy's audit publisher against real RabbitMQ, including the broker going away and coming back.</summary>
[Collection(PipelineInfrastructure.Name)]
public sealed class AuditDeliveryTests(PipelineInfrastructureFixture infrastructure) : IDisposable
{
    private readonly string _spillDirectory = Path.Combine(Path.GetTempPath(), "gateway-tests", Guid.NewGuid().ToString("N"));
    private readonly ConcurrentQueue<AuditEvent> _received = new();

    public void Dispose()
    {
        if (Directory.Exists(_spillDirectory))
        {
            Directory.Delete(_spillDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Events_recorded_while_the_broker_is_down_are_spilled_then_delivered_in_order_when_it_returns()
    {
        // Stands for the audit service: a durable queue (it outlives the broker restart), consumed one at a time.
        var queue = "pipeline-audit-test-" + Guid.NewGuid().ToString("N")[..8];
        var consumer = await infrastructure.StartBusAsync(rabbit => rabbit.ReceiveEndpoint(queue, endpoint =>
        {
            endpoint.PrefetchCount = 1;
            endpoint.ConcurrentMessageLimit = 1;
            endpoint.Handler<AuditEventBatch>(context =>
            {
                foreach (var auditEvent in context.Message.Events)
                {
                    _received.Enqueue(auditEvent);
                }

                return Task.CompletedTask;
            });
        }));
        var proxyBus = await infrastructure.StartBusAsync();
        var spill = new AuditSpillFile(_spillDirectory, "test", TimeProvider.System);
        var buffer = new AuditBuffer(1000, spill);
        var publisher = new AuditPublisher(
            buffer,
            spill,
            Options.Create(new AuditOptions
            {
                BatchSize = 10,
                BatchDelay = TimeSpan.FromMilliseconds(10),
                PublishTimeout = TimeSpan.FromSeconds(1),
                RetryInterval = TimeSpan.FromMilliseconds(250),
            }),
            TimeProvider.System,
            NullLogger<AuditPublisher>.Instance,
            new BusAuditTransport(proxyBus));
        await publisher.StartAsync(CancellationToken.None);

        try
        {
            Record(buffer, 0, 20);
            await WaitUntil(() => Delivered().Count == 20);

            await infrastructure.App.StopResourceAsync("messaging");
            try
            {
                Record(buffer, 20, 30);
                await WaitUntil(() => spill.HasPending && buffer.Count == 0);
                Assert.Equal(20, Delivered().Count);
            }
            finally
            {
                await infrastructure.App.StartResourceAsync("messaging");
            }

            Record(buffer, 50, 10);
            await WaitUntil(() => Delivered().Count == 60 && !spill.HasPending, TimeSpan.FromSeconds(120));
        }
        finally
        {
            await publisher.StopAsync(CancellationToken.None);
            publisher.Dispose();
            spill.Dispose();
            await proxyBus.StopAsync();
            await consumer.StopAsync();
        }

        // At-least-once: a batch may arrive twice; first arrivals are complete and in recorded order.
        Assert.Equal(Enumerable.Range(0, 60), Delivered());
    }

    private static void Record(AuditBuffer buffer, int first, int count)
    {
        for (var n = first; n < first + count; n++)
        {
            buffer.Write(new AuditEvent(
                Guid.NewGuid(), DateTimeOffset.UtcNow, "proxy/test", n.ToString(CultureInfo.InvariantCulture), "s", "c",
                "tools/call", "echo", "alpha", AuditDecision.Allowed, AuditStatus.Ok, null, 1, 10, null, null, null));
        }
    }

    private List<int> Delivered() =>
        [.. _received.DistinctBy(e => e.EventId).Select(e => int.Parse(e.RequestId!, CultureInfo.InvariantCulture))];

    private static async Task WaitUntil(Func<bool> condition, TimeSpan? limit = null)
    {
        using var deadline = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(20, deadline.Token);
        }
    }
}
