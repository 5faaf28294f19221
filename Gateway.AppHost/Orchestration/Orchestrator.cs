using Gateway.AppHost.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.AppHost.Orchestration;

/// <summary>
/// Starts resources concurrently as far as the wait-for graph allows, and stops them in reverse dependency order:
/// a resource stops only after everything that references it or waits for it has stopped.
/// </summary>
internal sealed class Orchestrator : IDisposable
{
    private readonly ILogger _logger;
    private readonly DistributedApplicationOptions _options;
    private ProcessReaper? _reaper;

    public Orchestrator(
        IReadOnlyList<Resource> resources,
        Func<Resource, ResourceContext> contextOf,
        DistributedApplicationOptions options,
        TimeProvider time,
        ILogger logger)
    {
        _options = options;
        _logger = logger;
        Time = time;
        Contexts = resources.ToDictionary(r => r.Name, contextOf, StringComparer.Ordinal);
        Resources = resources;
    }

    public IReadOnlyList<Resource> Resources { get; }

    public IReadOnlyDictionary<string, ResourceContext> Contexts { get; }

    public TimeProvider Time { get; }

    public Dictionary<string, ResourceRunner> Runners { get; } = new(StringComparer.Ordinal);

    public int? ReaperProcessId => _reaper?.ProcessId;

    /// <summary>Fails with the first missing prerequisite's message before anything starts.</summary>
    public void CheckPrerequisites()
    {
        foreach (var prerequisite in Resources.SelectMany(r => r.Prerequisites))
        {
            if (!prerequisite.IsPresent())
            {
                throw new AppHostException(prerequisite.Message);
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        CheckPrerequisites();
        _reaper = ProcessReaper.Start();
        foreach (var resource in Resources)
        {
            var context = Contexts[resource.Name];
            Runners[resource.Name] = new ResourceRunner(
                context, ResourceEnvironment.Build(context), _reaper, Time, _logger);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.StartupTimeout);
        var starts = Runners.Values.Select(runner => StartOrAbandonAllAsync(runner, deadline)).ToArray();
        try
        {
            await Task.WhenAll(starts);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Report the failure that stopped the start, not the cancellations it caused in the others.
            var cause = starts.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions)
                .FirstOrDefault(e => e is not OperationCanceledException);
            if (cause is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            }

            var waiting = Runners.Values.Where(r => r.Health != HealthState.Healthy).Select(Describe);
            throw new AppHostException(
                $"Not healthy after {_options.StartupTimeout.TotalSeconds:0} s: {string.Join("\n", waiting)}");
        }
    }

    public Task StartResourceAsync(string name, CancellationToken cancellationToken) =>
        StartOneAsync(Runner(name), cancellationToken);

    public ResourceRunner Runner(string name) =>
        Runners.TryGetValue(name, out var runner) ? runner : throw new KeyNotFoundException($"No running resource named '{name}'.");

    /// <summary>Stops every resource, dependents first, concurrently where independent.</summary>
    public async Task StopAsync()
    {
        var stops = new Dictionary<string, Task>(StringComparer.Ordinal);
        Task StopAfterDependents(ResourceRunner runner)
        {
            if (!stops.TryGetValue(runner.Resource.Name, out var stop))
            {
                var dependents = Runners.Values
                    .Where(r => r.Resource.References.Contains(runner.Resource) || r.Resource.WaitFor.Contains(runner.Resource))
                    .Select(StopAfterDependents)
                    .ToArray();
                stop = StopWhenDoneAsync(dependents, runner);
                stops[runner.Resource.Name] = stop;
            }

            return stop;
        }

        await Task.WhenAll(Runners.Values.Select(StopAfterDependents).ToArray());
    }

    public void Dispose()
    {
        _reaper?.Dispose();
        foreach (var runner in Runners.Values)
        {
            runner.Dispose();
        }
    }

    private async Task StopWhenDoneAsync(Task[] dependents, ResourceRunner runner)
    {
        await Task.WhenAll(dependents);
        if (runner.State is not ResourceState.Pending and not ResourceState.Stopped)
        {
            _logger.LogInformation("Stopping {Resource}", runner.Resource.Name);
        }

        await runner.StopAsync(_options.StopTimeout);
    }

    /// <summary>Starts one resource; if it fails, the others stop waiting instead of running into the start-up timeout.</summary>
    private async Task StartOrAbandonAllAsync(ResourceRunner runner, CancellationTokenSource all)
    {
        try
        {
            await StartOneAsync(runner, all.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await all.CancelAsync();
            throw;
        }
    }

    private async Task StartOneAsync(ResourceRunner runner, CancellationToken cancellationToken)
    {
        var dependencies = runner.Resource.WaitFor.Where(d => Runners.ContainsKey(d.Name)).Select(d => Runners[d.Name]);
        await runner.StartAsync(dependencies, cancellationToken);
        _logger.LogInformation("{Resource} is healthy", runner.Resource.Name);
    }

    private static string Describe(ResourceRunner runner)
    {
        // The run folder may be deleted right after (tests): carry the last lines in the message itself.
        var tail = string.Join("\n    ", runner.Log.Tail(10));
        return $"{runner.Resource.Name} is {runner.State}/{runner.Health}; last log lines:\n    {tail}";
    }
}
