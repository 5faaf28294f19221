using Gateway.Contracts;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Mcp;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Extensions;
using Gateway.Proxy.Pipeline;
using Gateway.Proxy.Pipeline.Shutdown;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Proxy.Tests.Pipeline;

/// <summary>What SIGTERM does to the pipeline: the host stops, in-flight calls finish, new ones are refused, audit is flushed.</summary>
public sealed class GracefulShutdownTests : IDisposable
{
    private readonly string _spillDirectory = Path.Combine(Path.GetTempPath(), "gateway-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_spillDirectory))
        {
            Directory.Delete(_spillDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task StopLetsAdmittedCallsFinishRefusesNewOnesAndFlushesEveryAuditEvent()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["Gateway:Audit:SpillDirectory"] = _spillDirectory;
        builder.Configuration["Gateway:ShutdownTimeout"] = "00:01:00";
        builder.AddServiceDefaults();
        builder.AddEnforcementPipeline();
        var host = builder.Build();
        await host.StartAsync();
        var pipeline = host.Services.GetRequiredService<CallPipeline>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new CountingBackend(async _ =>
        {
            await release.Task;
            return new BackendResult(CountingBackend.OkResponse, false, null, false);
        });

        var admitted = Enumerable.Range(0, 20)
            .Select(i => pipeline.InvokeAsync(Call(i), slow.InvokeAsync, CancellationToken.None).AsTask())
            .ToList();
        var stopping = host.StopAsync();
        var inFlight = host.Services.GetRequiredService<InFlightCalls>();
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (!inFlight.IsStopping)
            {
                await Task.Delay(10, deadline.Token);
            }
        }

        var late = await pipeline.InvokeAsync(Call(99), slow.InvokeAsync, CancellationToken.None);
        Assert.False(stopping.IsCompleted);
        release.SetResult();
        await stopping;
        host.Dispose();

        Assert.All(await Task.WhenAll(admitted), r => Assert.False(r.IsError));
        Assert.Equal(GatewayErrorCodes.ShuttingDown, late.ErrorCode);
        Assert.Equal(20, slow.Calls);
        using var spill = new AuditSpillFile(_spillDirectory, "reader", TimeProvider.System);
        var events = spill.SealSegments().SelectMany(AuditSpillFile.Read).ToList();
        Assert.Equal(21, events.Count);
        Assert.Equal(20, events.Count(e => e.Decision == AuditDecision.Allowed && e.Status == AuditStatus.Ok));
        Assert.Single(events, e => e.Status == AuditStatus.ShuttingDown && e.RequestId == "99");
    }

    private static CallContext Call(int id) => new()
    {
        Method = "tools/call",
        Client = new ClientIdentity("app", ["admin"], false),
        Target = "echo",
        TargetKind = CatalogItemKind.Tool,
        Backend = "alpha",
        RequestId = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
