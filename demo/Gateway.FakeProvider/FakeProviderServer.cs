using System.Net;
using Gateway.FakeProvider.Faults;
using Gateway.FakeProvider.Recording;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.FakeProvider;

/// <summary>
/// A fake provider on Kestrel inside the test process, on 127.0.0.1 and a free port. <see cref="BaseUrl"/> is the
/// server's root (<c>http://127.0.0.1:PORT/</c>); the APIs are under <c>/v1</c> (<see cref="OpenAIEndpoint"/> for
/// an OpenAI client), the control API under <c>/fake</c>.
/// </summary>
public sealed class FakeProviderServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeProviderServer(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
        Faults = app.Services.GetRequiredService<FaultInjector>();
        Recorder = app.Services.GetRequiredService<RequestRecorder>();
    }

    /// <summary>The server's root, <c>http://127.0.0.1:PORT/</c> (Anthropic clients take this).</summary>
    public Uri BaseUrl { get; }

    /// <summary><c>http://127.0.0.1:PORT/v1</c>: OpenAI clients take this, as they take <c>https://api.openai.com/v1</c>.</summary>
    public Uri OpenAIEndpoint => new(BaseUrl, "v1");

    /// <summary>The fault in force; the same object <c>/fake/fault</c> sets.</summary>
    public FaultInjector Faults { get; }

    /// <summary>What arrived under <c>/v1</c>; the same object <c>/fake/requests</c> reads.</summary>
    public RequestRecorder Recorder { get; }

    /// <summary>Starts a fake provider; <paramref name="timeProvider"/> drives its waits (latency, slow streams) and timestamps.</summary>
    public static async Task<FakeProviderServer> StartAsync(FakeProviderOptions? options = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        if (timeProvider is not null)
        {
            builder.Services.AddSingleton(timeProvider);
        }

        builder.Services.AddFakeProvider(builder.Configuration, target => CopyTo(options, target));
        var app = builder.Build();
        app.MapFakeProvider();
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new FakeProviderServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static void CopyTo(FakeProviderOptions? source, FakeProviderOptions target)
    {
        if (source is null)
        {
            return;
        }

        target.Name = source.Name ?? target.Name;
        target.ApiKey = source.ApiKey ?? target.ApiKey;
        target.RecordLimit = source.RecordLimit;
        foreach (var model in source.Models)
        {
            target.Models.Add(model);
        }
    }
}
