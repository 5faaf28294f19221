using System.Reflection;
using Gateway.AppHost.Orchestration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.AppHost.Hosting;

/// <summary>Declares the resources of the application, in the shape of Aspire's <c>IDistributedApplicationBuilder</c>.</summary>
public sealed class DistributedApplicationBuilder
{
    private readonly List<ResourceBuilder> _resources = [];

    internal DistributedApplicationBuilder(string[] args, ConfigurationManager configuration)
    {
        Args = args;
        Configuration = configuration;
        Options = configuration.GetSection(DistributedApplicationOptions.SectionName).Get<DistributedApplicationOptions>()
            ?? new DistributedApplicationOptions();
        RepositoryRoot = Path.GetFullPath(Options.RepositoryRoot ?? BuiltRepositoryRoot());
    }

    public string[] Args { get; }

    public ConfigurationManager Configuration { get; }

    /// <summary>Run layout settings; tests change them before <see cref="Build"/>.</summary>
    public DistributedApplicationOptions Options { get; }

    public string RepositoryRoot { get; }

    /// <summary>Build configuration of the AppHost, which is also the one of the services it runs (Debug or Release).</summary>
    public static string BuildConfiguration { get; } =
        typeof(DistributedApplicationBuilder).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>Where time is read for back-offs and timeouts.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    public IReadOnlyList<ResourceBuilder> Resources => _resources;

    public ResourceBuilder this[string name] =>
        _resources.SingleOrDefault(r => r.Name == name) ?? throw new KeyNotFoundException($"No resource named '{name}'.");

    public ResourceBuilder AddResource(string name, ResourceKind kind)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_resources.Any(r => r.Name == name))
        {
            throw new InvalidOperationException($"A resource named '{name}' already exists.");
        }

        var builder = new ResourceBuilder(this, new Resource(name, kind));
        _resources.Add(builder);
        return builder;
    }

    /// <summary>Lays out the run (folder, ports) and returns the application, not yet started.</summary>
    public DistributedApplication Build()
    {
        var resources = Select(ExpandReplicas(_resources.Select(r => r.Resource)), Options.StartOnly);
        var runDirectory = Path.GetFullPath(Options.RunDirectory ?? DefaultRunDirectory());
        // Publishing a manifest runs nothing: no folder, and no claim on the stable ports a running AppHost holds.
        var publishing = Configuration["publisher"] is not null;
        if (publishing)
        {
            Options.RandomPorts = true;
            Options.DashboardPort = -1;
        }
        else
        {
            Directory.CreateDirectory(runDirectory);
        }

        var layout = new RunLayout(RepositoryRoot, runDirectory);

        var allocator = new PortAllocator();
        var ports = new Dictionary<(string, string), int>();
        foreach (var resource in resources)
        {
            foreach (var endpoint in resource.Endpoints)
            {
                var stable = Options.RandomPorts ? null
                    : Options.Ports.TryGetValue(resource.Name, out var configured) ? configured
                    : endpoint.StablePort;
                ports[(resource.Name, endpoint.Name)] = allocator.Allocate(resource.Name, stable);
            }
        }

        var dashboardPort = Options.DashboardPort switch
        {
            < 0 => (int?)null,
            0 => allocator.Allocate("dashboard", null),
            _ when Options.RandomPorts => allocator.Allocate("dashboard", null),
            var port => allocator.Allocate("dashboard", port),
        };

        return new DistributedApplication(this, resources, layout, ports, dashboardPort, allocator.Conflicts);
    }

    private string DefaultRunDirectory() =>
        Path.Combine(RepositoryRoot, ".run", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");

    private static string BuiltRepositoryRoot() =>
        typeof(DistributedApplicationBuilder).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Gateway.RepositoryRoot")?.Value
        ?? Environment.CurrentDirectory;

    /// <summary>Turns a resource with N replicas into N resources: <c>proxy</c>, <c>proxy-2</c>... (later ones on free ports).</summary>
    internal static List<Resource> ExpandReplicas(IEnumerable<Resource> resources)
    {
        var expanded = new List<Resource>();
        foreach (var resource in resources)
        {
            expanded.Add(resource);
            for (var i = 1; i < resource.Replicas; i++)
            {
                expanded.Add(resource.CloneAs(ResourceBuilder.ReplicaName(resource.Name, i)));
            }
        }

        return expanded;
    }

    /// <summary>The named resources plus everything they reference or wait for, transitively; all when none is named.</summary>
    internal static List<Resource> Select(List<Resource> resources, IReadOnlyCollection<string> startOnly)
    {
        if (startOnly.Count == 0)
        {
            return resources;
        }

        var wanted = new HashSet<Resource>();
        var pending = new Stack<Resource>(startOnly.Select(name =>
            resources.SingleOrDefault(r => r.Name == name) ?? throw new KeyNotFoundException($"No resource named '{name}'.")));
        while (pending.TryPop(out var resource))
        {
            if (wanted.Add(resource))
            {
                foreach (var dependency in resource.References.Concat(resource.WaitFor))
                {
                    pending.Push(dependency);
                }
            }
        }

        return resources.Where(wanted.Contains).ToList();
    }
}
