using System.Net;
using Gateway.Contracts.Configuration;
using Gateway.HealthMonitor.Probes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.HealthMonitor.Tests;

/// <summary>The MCP ping probe keeps a session and starts a new one when the server has forgotten it.</summary>
public sealed class McpPingProbeTests : IAsyncLifetime
{
    private readonly ServiceProvider _services = new ServiceCollection()
        .AddHttpClient(ProbeScheduler.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan).Services
        .BuildServiceProvider();

    private WebApplication _server = null!;
    private Uri _url = null!;
    private int _sessions;
    private volatile string? _known;
    private volatile int _unknownStatus = StatusCodes.Status404NotFound;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _server = builder.Build();
        _server.MapPost("/mcp", HandleAsync);
        await _server.StartAsync();
        _url = new Uri(_server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/mcp");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _services.DisposeAsync();
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.BadRequest)]
    public async Task A_server_that_forgot_the_session_gets_a_new_one_and_the_probe_succeeds(HttpStatusCode unknownSession)
    {
        var probe = new McpPingProbe(_services.GetRequiredService<IHttpClientFactory>());
        var backend = new BackendOptions { Name = "everything", Url = _url };
        _unknownStatus = (int)unknownSession;

        Assert.True((await probe.ProbeAsync(backend, default)).Success);
        _known = null;
        var afterRestart = await probe.ProbeAsync(backend, default);

        Assert.True(afterRestart.Success, afterRestart.Error);
        Assert.Equal(2, _sessions);
    }

    /// <summary>A server that remembers one session, as one that restarts forgets it.</summary>
    private async Task HandleAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body);
        var body = await reader.ReadToEndAsync();
        http.Response.ContentType = "application/json";
        if (body.Contains("\"initialize\"", StringComparison.Ordinal))
        {
            var id = $"session-{Interlocked.Increment(ref _sessions)}";
            _known = id;
            http.Response.Headers["Mcp-Session-Id"] = id;
            await http.Response.WriteAsync("""{"jsonrpc":"2.0","id":"health-init","result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"stub","version":"1"}}}""");
            return;
        }

        if (http.Request.Headers["Mcp-Session-Id"].ToString() != _known)
        {
            http.Response.StatusCode = _unknownStatus;
            await http.Response.WriteAsync("""{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}""");
            return;
        }

        if (body.Contains("\"ping\"", StringComparison.Ordinal))
        {
            await http.Response.WriteAsync("""{"jsonrpc":"2.0","id":"health-ping","result":{}}""");
            return;
        }

        http.Response.StatusCode = StatusCodes.Status202Accepted;
    }
}
