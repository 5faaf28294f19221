using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.HealthMonitor.Tests.Fixtures;

/// <summary>
/// The least of an LLM provider a probe needs, on loopback in the test process: <c>GET /v1/models</c> answers
/// <see cref="Status"/> (an OpenAI-shaped list when 200), or never answers while <see cref="Hanging"/>. Every
/// request's path and headers are kept for the test to inspect.
/// </summary>
public sealed class ProviderStub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private volatile int _status = (int)HttpStatusCode.OK;
    private volatile bool _hanging;

    private ProviderStub(WebApplication app) => _app = app;

    /// <summary>The base URL a provider is configured with, <c>/v1</c> included.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    public HttpStatusCode Status
    {
        get => (HttpStatusCode)_status;
        set => _status = (int)value;
    }

    /// <summary>While set, requests get no answer until the caller gives up.</summary>
    public bool Hanging
    {
        get => _hanging;
        set => _hanging = value;
    }

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    public static async Task<ProviderStub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var stub = new ProviderStub(app);
        app.MapGet("/v1/{**path}", stub.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        stub.BaseUrl = new Uri(address + "/v1");
        return stub;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        _requests.Enqueue(new ReceivedRequest(
            context.Request.Path,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
        if (_hanging)
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }

        context.Response.StatusCode = _status;
        if (_status == StatusCodes.Status200OK)
        {
            await context.Response.WriteAsJsonAsync(new { @object = "list", data = new[] { new { id = "stub-model", @object = "model" } } });
        }
    }

    public sealed record ReceivedRequest(string Path, IReadOnlyDictionary<string, string> Headers);
}
