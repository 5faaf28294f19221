using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.AppHost;

/// <summary>
/// The folder a run keeps its data in: Garnet's append-only file, the RabbitMQ node, the audit database, the written
/// gateway configuration. <c>AppHost:DataDirectory</c> names a folder that outlives runs; by default each run gets a
/// new temporary folder that the AppHost deletes when it stops, so nothing is left behind.
/// </summary>
internal sealed class RunDirectory
{
    private RunDirectory(string path) => Path = path;

    public string Path { get; }

    public static RunDirectory Create(IDistributedApplicationBuilder builder)
    {
        if (builder.Configuration["AppHost:DataDirectory"] is { Length: > 0 } configured)
        {
            return new RunDirectory(Directory.CreateDirectory(System.IO.Path.GetFullPath(configured)).FullName);
        }

        var run = new RunDirectory(Directory.CreateTempSubdirectory("gateway-run-").FullName);
        builder.Eventing.Subscribe<AfterResourcesCreatedEvent>((@event, _) =>
        {
            var lifetime = @event.Services.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStopped.Register(run.Delete);
            return Task.CompletedTask;
        });
        return run;
    }

    /// <summary>A sub-folder for one resource, created on first use.</summary>
    public string For(string resource) => Directory.CreateDirectory(System.IO.Path.Combine(Path, resource)).FullName;

    private void Delete()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A resource still closing its files; the folder is in the system's temporary area and is cleaned with it.
        }
    }
}
