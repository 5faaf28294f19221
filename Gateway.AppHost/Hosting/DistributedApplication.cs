using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Gateway.AppHost.Dashboard;
using Gateway.AppHost.Orchestration;
using Gateway.AppHost.Publishing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Gateway.AppHost.Hosting;

/// <summary>
/// The built application: runs every resource until stopped (<see cref="RunAsync"/>), or is driven by tests
/// (<see cref="StartAsync"/>, the resource controls, <see cref="DisposeAsync"/>), in the shape of Aspire's
/// <c>DistributedApplication</c>.
/// </summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly DistributedApplicationBuilder _builder;
    private readonly IReadOnlyDictionary<(string Resource, string Endpoint), int> _ports;
    private readonly Orchestrator _orchestrator;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<string> _portConflicts;
    private DashboardServer? _dashboard;
    private bool _started;
    private bool _disposed;

    internal DistributedApplication(
        DistributedApplicationBuilder builder,
        IReadOnlyList<Resource> resources,
        RunLayout layout,
        IReadOnlyDictionary<(string Resource, string Endpoint), int> ports,
        int? dashboardPort,
        IReadOnlyList<string> portConflicts)
    {
        _portConflicts = portConflicts;
        _builder = builder;
        _ports = ports;
        Layout = layout;
        DashboardPort = dashboardPort;
        _logger = builder.LoggerFactory.CreateLogger("Gateway.AppHost");
        var contexts = new Dictionary<string, ResourceContext>(StringComparer.Ordinal);
        ResourceContext ContextOf(string name) => contexts[name];
        foreach (var resource in resources)
        {
            contexts[resource.Name] = new ResourceContext(resource, layout, ports, ContextOf);
        }

        _orchestrator = new Orchestrator(resources, r => contexts[r.Name], builder.Options, builder.TimeProvider, _logger);
    }

    public RunLayout Layout { get; }

    public int? DashboardPort { get; }

    public Uri? DashboardUrl => DashboardPort is { } port ? new Uri($"http://127.0.0.1:{port}") : null;

    public IReadOnlyList<Resource> Resources => _orchestrator.Resources;

    /// <summary>Process id of the reaper that cleans up children if this process dies; for tests.</summary>
    public int? ReaperProcessId => _orchestrator.ReaperProcessId;

    public static DistributedApplicationBuilder CreateBuilder(string[] args) => CreateBuilder(args, configure: null);

    /// <summary>Configuration comes from appsettings.json, the environment, the command line, then <paramref name="configure"/>.</summary>
    public static DistributedApplicationBuilder CreateBuilder(string[] args, Action<IConfigurationBuilder>? configure)
    {
        var configuration = new ConfigurationManager();
        configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true);
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(args);
        configure?.Invoke(configuration);
        return new DistributedApplicationBuilder(args, configuration);
    }

    /// <summary>
    /// The AppHost's main loop: publishes the manifest when asked (<c>--publisher manifest --output-path X</c>),
    /// otherwise starts everything, prints the resource table, and stops everything in reverse order on
    /// Ctrl+C or SIGTERM. Returns the process exit code.
    /// </summary>
    public async Task<int> RunAsync()
    {
        if (_builder.Configuration["publisher"] is { } publisher)
        {
            return PublishManifest(publisher, _builder.Configuration["output-path"] ?? "aspire-manifest.json");
        }

        using var stopping = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Stop);
        var exitCode = 0;
        try
        {
            Console.WriteLine($"Run folder: {Layout.RunDirectory}");
            await StartAsync(stopping.Token);
            Console.WriteLine(ResourceTable.Render(Snapshots(), DashboardUrl));
            foreach (var (key, value) in _orchestrator.Contexts.Values.SelectMany(c => c.Resource.RunInfo))
            {
                Console.WriteLine($"{key}: {value}");
            }

            Console.WriteLine($"Endpoints and connection strings: {Layout.EndpointsFile}");
            Console.WriteLine("Press Ctrl+C to stop.");
            await Task.Delay(Timeout.Infinite, stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        catch (AppHostException ex)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message);
            exitCode = 1;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Ctrl+C during start-up: stop what already runs.
        }

        Console.WriteLine("Stopping...");
        await DisposeAsync();
        Console.WriteLine("Stopped.");
        return exitCode;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }
    }

    /// <summary>Starts every resource (concurrently where the wait-for graph allows) and returns when all are healthy.</summary>
    /// <exception cref="AppHostException">A prerequisite is missing, a port is taken, or a resource never became healthy.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_started)
        {
            throw new InvalidOperationException("The application is already started.");
        }

        _started = true;
        if (_portConflicts.Count > 0)
        {
            throw new AppHostException(_portConflicts[0]);
        }

        _orchestrator.CheckPrerequisites();
        if (DashboardPort is { } port)
        {
            _dashboard = await DashboardServer.StartAsync(port, Snapshots, cancellationToken);
        }

        await _orchestrator.StartAsync(cancellationToken);
        await File.WriteAllTextAsync(Layout.EndpointsFile, JsonSerializer.Serialize(EndpointsDocument(), Indented), cancellationToken);
        PointLatestAtThisRun();
    }

    /// <summary>Stops every resource in reverse dependency order.</summary>
    public Task StopAsync() => _orchestrator.StopAsync();

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _orchestrator.StopAsync();
        _orchestrator.Dispose();
        if (_dashboard is not null)
        {
            await _dashboard.DisposeAsync();
        }

        if (_builder.Options.DeleteRunDirectory)
        {
            DeleteRunDirectory();
        }
    }

    public Uri GetEndpoint(string resource, string endpoint = "http") =>
        _ports.TryGetValue((resource, endpoint), out _)
            ? _orchestrator.Contexts[resource].Url(endpoint)
            : throw new KeyNotFoundException($"Resource '{resource}' has no endpoint '{endpoint}'.");

    /// <summary>A client whose base address is the resource's endpoint, like Aspire's <c>CreateHttpClient</c>.</summary>
    public HttpClient CreateHttpClient(string resource, string endpoint = "http") =>
        new() { BaseAddress = GetEndpoint(resource, endpoint) };

    /// <summary>A client for a service that sends <paramref name="apiKey"/> as a bearer token (admin and audit APIs).</summary>
    public HttpClient CreateAuthenticatedHttpClient(string resource, string apiKey)
    {
        var client = CreateHttpClient(resource);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    public ValueTask<string?> GetConnectionStringAsync(string resource, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_orchestrator.Contexts.TryGetValue(resource, out var context)
            ? context.GetConnectionString()
            : throw new KeyNotFoundException($"No resource named '{resource}'."));
    }

    /// <summary>The environment the resource's process gets (connection strings, service URLs, OTEL_*).</summary>
    public IReadOnlyDictionary<string, string> GetEnvironment(string resource) => _orchestrator.Runner(resource).Environment;

    public Task WaitForResourceHealthyAsync(string resource, CancellationToken cancellationToken = default) =>
        _orchestrator.Runner(resource).WaitForHealthyAsync(cancellationToken);

    public Task StopResourceAsync(string resource) =>
        _orchestrator.Runner(resource).StopAsync(_builder.Options.StopTimeout);

    /// <summary>Starts a stopped resource again and returns when it is healthy.</summary>
    public Task StartResourceAsync(string resource, CancellationToken cancellationToken = default) =>
        _orchestrator.StartResourceAsync(resource, cancellationToken);

    public async Task RestartResourceAsync(string resource, CancellationToken cancellationToken = default)
    {
        await StopResourceAsync(resource);
        await StartResourceAsync(resource, cancellationToken);
    }

    /// <summary>SIGKILLs the resource's process group, as a crash would; the AppHost restarts it with back-off.</summary>
    public void KillResource(string resource) => _orchestrator.Runner(resource).Kill();

    public int? GetProcessId(string resource) => _orchestrator.Runner(resource).ProcessId;

    internal ResourceContext ContextOf(string resource) => _orchestrator.Contexts[resource];

    public ResourceSnapshot GetResource(string resource) => Snapshot(_orchestrator.Runner(resource));

    public IReadOnlyList<ResourceSnapshot> Snapshots() => _orchestrator.Runners.Values.Select(Snapshot).ToArray();

    private ResourceSnapshot Snapshot(ResourceRunner runner)
    {
        var context = runner.Context;
        var endpoints = runner.Resource.Endpoints.ToDictionary(e => e.Name, e => context.Url(e.Name).ToString().TrimEnd('/'));
        return new ResourceSnapshot(
            runner.Resource.Name,
            runner.Resource.Kind.ToString(),
            runner.State,
            runner.Health,
            runner.ProcessId,
            runner.Restarts,
            runner.LastExitCode,
            endpoints,
            context.GetConnectionString(),
            runner.Resource.HealthCheck?.Description,
            runner.Log.Path,
            runner.Log.Tail(40));
    }

    private Dictionary<string, object?> EndpointsDocument()
    {
        var resources = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var snapshot in Snapshots())
        {
            resources[snapshot.Name] = new { snapshot.Kind, snapshot.Endpoints, snapshot.ConnectionString, snapshot.LogFile };
        }

        var document = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["runDirectory"] = Layout.RunDirectory,
            ["dashboard"] = DashboardUrl?.ToString().TrimEnd('/'),
            ["resources"] = resources,
        };
        foreach (var (key, value) in _orchestrator.Contexts.Values.SelectMany(c => c.Resource.RunInfo))
        {
            document[key] = value;
        }

        return document;
    }

    /// <summary><c>.run/latest</c> always names the newest run, so scripts can read <c>.run/latest/endpoints.json</c>.</summary>
    private void PointLatestAtThisRun()
    {
        var parent = Path.GetDirectoryName(Layout.RunDirectory)!;
        if (!string.Equals(parent, Path.Combine(_builder.RepositoryRoot, ".run"), StringComparison.Ordinal))
        {
            return;
        }

        var latest = Path.Combine(parent, "latest");
        try
        {
            File.Delete(latest);
            File.CreateSymbolicLink(latest, Layout.RunDirectory);
        }
        catch (IOException ex)
        {
            _logger.LogWarning("Could not update {Link}: {Message}", latest, ex.Message);
        }
    }

    private void DeleteRunDirectory()
    {
        try
        {
            Directory.Delete(Layout.RunDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("Could not delete {RunDirectory}: {Message}", Layout.RunDirectory, ex.Message);
        }
    }

    private int PublishManifest(string publisher, string outputPath)
    {
        if (!string.Equals(publisher, "manifest", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"error: unknown publisher '{publisher}'; the only one is 'manifest'.");
            return 1;
        }

        var path = Path.GetFullPath(outputPath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var manifest = ManifestWriter.Write(_orchestrator.Resources, Path.GetDirectoryName(path)!);
        File.WriteAllText(path, manifest);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote the deployment manifest to {path}"));
        return 0;
    }
}
