using System.Globalization;

namespace Gateway.AppHost.Hosting;

/// <summary>
/// What a resource sees once the run is laid out: its allocated ports, its data folder, the repository and the
/// configuration. Passed to launch, environment, connection-string and hook callbacks.
/// </summary>
public sealed class ResourceContext
{
    private readonly IReadOnlyDictionary<(string Resource, string Endpoint), int> _ports;

    internal ResourceContext(
        Resource resource,
        RunLayout layout,
        IReadOnlyDictionary<(string Resource, string Endpoint), int> ports,
        Func<string, ResourceContext> contextOf)
    {
        Resource = resource;
        Layout = layout;
        _ports = ports;
        ContextOf = contextOf;
    }

    public Resource Resource { get; }

    public RunLayout Layout { get; }

    /// <summary>This resource's own folder under the run folder, created on demand.</summary>
    public string DataDirectory
    {
        get
        {
            var path = Path.Combine(Layout.RunDirectory, Resource.Name);
            Directory.CreateDirectory(path);
            return path;
        }
    }

    internal Func<string, ResourceContext> ContextOf { get; }

    public int Port(string endpoint = "http") =>
        _ports.TryGetValue((Resource.Name, endpoint), out var port)
            ? port
            : throw new InvalidOperationException($"Resource '{Resource.Name}' has no endpoint '{endpoint}'.");

    public Uri Url(string endpoint = "http")
    {
        var definition = Resource.Endpoints.Single(e => e.Name == endpoint);
        return new Uri(string.Create(CultureInfo.InvariantCulture, $"{definition.Scheme}://127.0.0.1:{Port(endpoint)}"));
    }

    /// <summary>The context of another resource, to read its ports or connection string.</summary>
    public ResourceContext Of(Resource other) => ContextOf(other.Name);

    public string? GetConnectionString() => Resource.ConnectionString?.Invoke(this);
}

/// <summary>Where a run keeps its data and which repository it runs from.</summary>
public sealed record RunLayout(string RepositoryRoot, string RunDirectory)
{
    public string LogDirectory => Path.Combine(RunDirectory, "logs");

    public string EndpointsFile => Path.Combine(RunDirectory, "endpoints.json");
}

/// <summary>The environment of one process being assembled, plus the context to compute values from.</summary>
public sealed class EnvironmentContext(ResourceContext context, IDictionary<string, string> variables)
{
    public ResourceContext Context { get; } = context;

    public IDictionary<string, string> Variables { get; } = variables;
}
