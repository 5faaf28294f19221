using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Testing.Aspire;

/// <summary>A started model: clients for its services, its processes, and the dashboard's commands.</summary>
public sealed class GatewayTestApp(DistributedApplication app, string adminKey) : IAsyncDisposable
{
    /// <summary>How long a whole model may take to start and become healthy on a busy 2-core machine.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    public DistributedApplication App { get; } = app;

    public string AdminKey { get; } = adminKey;

    public DistributedApplicationModel Model => App.Services.GetRequiredService<DistributedApplicationModel>();

    public ResourceNotificationService Notifications => App.ResourceNotifications;

    /// <summary>A client for the resource's http endpoint, with no API key.</summary>
    public HttpClient CreateHttpClient(string resource) => App.CreateHttpClient(resource, "http");

    /// <summary>A client for the resource's http endpoint authenticated as the demo admin.</summary>
    public HttpClient CreateAdminClient(string resource)
    {
        var client = CreateHttpClient(resource);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    public async Task<string?> GetConnectionStringAsync(string resource) => await App.GetConnectionStringAsync(resource);

    /// <summary>Waits until every resource with a health check reports healthy.</summary>
    public async Task WaitForAllHealthyAsync(CancellationToken cancellationToken)
    {
        var checkedResources = Model.Resources.Where(r => r.Annotations.OfType<HealthCheckAnnotation>().Any());
        await Task.WhenAll(checkedResources.Select(r => Notifications.WaitForResourceHealthyAsync(r.Name, cancellationToken)));
    }

    public Task WaitForHealthyAsync(string resource, CancellationToken cancellationToken = default) =>
        Notifications.WaitForResourceHealthyAsync(resource, cancellationToken);

    /// <summary>The resource's latest snapshot (of its single instance).</summary>
    public async Task<CustomResourceSnapshot> SnapshotAsync(string resource, CancellationToken cancellationToken = default) =>
        (await Notifications.WaitForResourceAsync(resource, _ => true, cancellationToken)).Snapshot;

    /// <summary>
    /// The operating-system process that does the resource's work: DCP's process id for an executable; for a
    /// project, the service itself (DCP runs projects under a <c>dotnet run</c> wrapper whose child it is). Null while
    /// the resource is not running.
    /// </summary>
    public async Task<int?> ProcessIdAsync(string resource)
    {
        var snapshot = await SnapshotAsync(resource);
        if (snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is not { } value
            || !int.TryParse(Convert.ToString(value, CultureInfo.InvariantCulture), CultureInfo.InvariantCulture, out var pid)
            || snapshot.State?.Text != KnownResourceStates.Running)
        {
            return null;
        }

        if (Model.Resources.Single(r => r.Name == resource) is not ProjectResource)
        {
            return pid;
        }

        // Null until the wrapper has started the service: the wrapper's own id would be the wrong process to kill.
        var children = ProcessTree.Children(pid);
        return children.Count > 0 ? children[0] : null;
    }

    /// <summary>Sends SIGKILL to one process, as the OOM killer would.</summary>
    public static void Kill(int pid)
    {
        using var process = Process.GetProcessById(pid);
        process.Kill(entireProcessTree: false);
    }

    /// <summary>Sends SIGTERM to one process, as an orchestrator stopping it would.</summary>
    public static void Terminate(int pid)
    {
        using var kill = Process.Start("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -TERM {pid} exited with code {kill.ExitCode}");
        }
    }

    /// <summary>
    /// Waits until the resource's process has exited (Exited or Finished) and returns its exit code. Start waiting
    /// before causing the exit: a resource marked to restart on crash is started again within seconds.
    /// </summary>
    public async Task<int?> WaitForExitAsync(string resource, CancellationToken cancellationToken = default)
    {
        var exited = await Notifications.WaitForResourceAsync(
            resource,
            e => e.Snapshot.State?.Text == KnownResourceStates.Exited || e.Snapshot.State?.Text == KnownResourceStates.Finished,
            cancellationToken);
        return exited.Snapshot.ExitCode;
    }

    /// <summary>
    /// Waits until the resource runs in a process other than <paramref name="previous"/> (restarted after a kill or a
    /// crash) and returns the new process id (see <see cref="ProcessIdAsync"/>).
    /// </summary>
    public async Task<int> WaitForNewProcessAsync(string resource, int previous, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (await ProcessIdAsync(resource) is { } pid && pid != previous)
            {
                return pid;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>Runs a resource command (the dashboard's Start, Stop, Restart or one of the gateway's) and returns its result.</summary>
    public async Task<ExecuteCommandResult> ExecuteCommandAsync(string resource, string command, CancellationToken cancellationToken = default)
    {
        // Commands address a resource's instance by its DCP id (the name plus a suffix for processes).
        var instance = await Notifications.WaitForResourceAsync(resource, _ => true, cancellationToken);
        return await App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(instance.ResourceId, command, cancellationToken);
    }

    /// <summary>The environment DCP gave the resource's process.</summary>
    public async Task<IReadOnlyDictionary<string, string>> EnvironmentAsync(string resource) =>
        (await SnapshotAsync(resource)).EnvironmentVariables
            .Where(variable => variable.IsFromSpec && variable.Value is not null)
            .ToDictionary(variable => variable.Name, variable => variable.Value!, StringComparer.Ordinal);

    /// <summary>
    /// Waits until the audit service has stored an event matching <paramref name="match"/> among those its export
    /// returns for <paramref name="query"/> (e.g. <c>method=tools/call</c>), and returns it.
    /// </summary>
    public async Task<JsonElement> WaitForAuditAsync(Func<JsonElement, bool> match, string query = "", TimeSpan? bound = null)
    {
        using var audit = CreateAdminClient("audit");
        var found = await Eventually.ValueAsync<JsonElement?>(async () =>
        {
            var lines = await audit.GetStringAsync(new Uri($"/api/audit/export?format=ndjson&{query}", UriKind.Relative));
            foreach (var line in lines.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var item = JsonDocument.Parse(line).RootElement;
                if (match(item))
                {
                    return item;
                }
            }

            return null;
        }, bound, $"an audit event matching {query}");
        return found!.Value;
    }

    /// <summary>The audit service's stored events for <paramref name="query"/>, newest first.</summary>
    public async Task<IReadOnlyList<JsonElement>> AuditAsync(string query)
    {
        using var audit = CreateAdminClient("audit");
        var lines = await audit.GetStringAsync(new Uri($"/api/audit/export?format=ndjson&{query}", UriKind.Relative));
        return [.. lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)];
    }

    /// <summary>A client for the Aspire dashboard's telemetry API (the app must run with the dashboard).</summary>
    public async Task<HttpClient> CreateDashboardApiClientAsync(string apiKey)
    {
        var url = await App.GetDashboardUrlAsync() ?? throw new InvalidOperationException("The dashboard is off in this app.");
        var client = new HttpClient { BaseAddress = new Uri(url.GetLeftPart(UriPartial.Authority)) };
        client.DefaultRequestHeaders.Add("X-API-Key", apiKey);
        return client;
    }

    /// <summary>
    /// Stops the resource with the dashboard's Stop command and waits until DCP reports its process gone. A stopped
    /// resource stays stopped: the AppHost's crash restarter leaves alone what was stopped on purpose.
    /// </summary>
    public async Task StopResourceAsync(string resource, CancellationToken cancellationToken = default)
    {
        await RunCommandAsync(resource, KnownResourceCommands.StopCommand, cancellationToken);
        await WaitForStoppedAsync(resource, cancellationToken);
    }

    /// <summary>Starts a stopped (or exited) resource with the dashboard's Start command and waits until it is healthy.</summary>
    public async Task StartResourceAsync(string resource, CancellationToken cancellationToken = default)
    {
        await RunCommandAsync(resource, KnownResourceCommands.StartCommand, cancellationToken);
        await WaitForRunningAndHealthyAsync(resource, cancellationToken);
    }

    /// <summary>Waits until the resource's process has exited (stopped, finished or crashed) and returns that snapshot, exit code included.</summary>
    public async Task<CustomResourceSnapshot> WaitForStoppedAsync(string resource, CancellationToken cancellationToken = default)
    {
        using var limit = Bounded(cancellationToken);
        return (await Notifications.WaitForResourceAsync(resource, e => IsStopped(e.Snapshot), limit.Token)).Snapshot;
    }

    /// <summary>
    /// Waits until the resource runs and, when it has health checks, all pass. Unlike <see cref="WaitForHealthyAsync"/>
    /// this also holds for a resource started again (by a command or the crash restarter) after it was healthy once.
    /// </summary>
    public async Task WaitForRunningAndHealthyAsync(string resource, CancellationToken cancellationToken = default)
    {
        var hasHealthChecks = Model.Resources.Single(r => r.Name == resource).Annotations.OfType<HealthCheckAnnotation>().Any();
        using var limit = Bounded(cancellationToken);
        await Notifications.WaitForResourceAsync(
            resource,
            e => e.Snapshot.State?.Text == KnownResourceStates.Running
                && (!hasHealthChecks || (e.Snapshot.HealthReports.Length > 0 && e.Snapshot.HealthReports.All(r => r.Status == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy))),
            limit.Token);
    }

    private static bool IsStopped(CustomResourceSnapshot snapshot) =>
        snapshot.State?.Text is { } state
        && (state == KnownResourceStates.Exited || state == KnownResourceStates.Finished || state == KnownResourceStates.FailedToStart);

    private async Task RunCommandAsync(string resource, string command, CancellationToken cancellationToken)
    {
        var result = await ExecuteCommandAsync(resource, command, cancellationToken);
        if (!result.Success)
        {
            throw new InvalidOperationException($"{command} on {resource} failed: {result.Message}");
        }
    }

    /// <summary>
    /// A wait on DCP is bounded by as long as a whole model may take to start, so a resource that never gets there
    /// fails the test instead of hanging the suite.
    /// </summary>
    private static CancellationTokenSource Bounded(CancellationToken cancellationToken)
    {
        var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(StartTimeout);
        return limit;
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}
