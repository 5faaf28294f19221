using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.AppHost.Orchestration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.AppHost.Dashboard;

/// <summary>
/// The local dashboard: one self-contained HTML page (no external assets) showing each resource's state, health,
/// PID, restarts, URLs and last log lines, fed by <c>GET /api/resources</c>.
/// </summary>
internal sealed class DashboardServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        WriteIndented = true,
    };

    private readonly WebApplication _app;

    private DashboardServer(WebApplication app) => _app = app;

    public static async Task<DashboardServer> StartAsync(int port, Func<IReadOnlyList<ResourceSnapshot>> snapshots, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapGet("/", () => Results.Content(DashboardPage.Html, "text/html; charset=utf-8"));
        app.MapGet("/api/resources", () => Results.Json(snapshots(), Json));
        await app.StartAsync(cancellationToken);
        return new DashboardServer(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
