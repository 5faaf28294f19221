using System.Text.Json.Nodes;
using Gateway.AppHost.Publishing;

namespace Gateway.AppHost.Hosting;

/// <summary>What a resource is, which decides how it runs locally and how it is published.</summary>
public enum ResourceKind
{
    /// <summary>A .NET project, built with the AppHost and run as <c>dotnet &lt;dll&gt;</c>; published as <c>project.v0</c>.</summary>
    Project,

    /// <summary>Infrastructure run locally from the machine's binaries; published as a container image.</summary>
    Container,

    /// <summary>A local executable such as a demo MCP server; not published.</summary>
    Executable,

    /// <summary>No process: a connection string or file the AppHost provides (SQLite path, existing Redis, config file).</summary>
    Value,
}

/// <summary>
/// One resource of the application model, in the shape of Aspire's: a name, how to launch it, its endpoints,
/// environment, health check, references and wait-for dependencies. Declared through <see cref="ResourceBuilder"/>;
/// read by the orchestrator and the manifest publisher.
/// </summary>
public sealed class Resource
{
    internal Resource(string name, ResourceKind kind)
    {
        Name = name;
        Kind = kind;
    }

    public string Name { get; }

    public ResourceKind Kind { get; }

    /// <summary>How to start the process; null for <see cref="ResourceKind.Value"/> resources.</summary>
    public ProcessLaunch? Launch { get; internal set; }

    public List<EndpointDefinition> Endpoints { get; } = [];

    /// <summary>Environment of the process, computed once ports are allocated.</summary>
    public List<Action<EnvironmentContext>> Environment { get; } = [];

    /// <summary>Variables with constant values: set at run like the others, and written to the manifest as Aspire does.</summary>
    public Dictionary<string, string> ConstantEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>Resources whose connection string or URLs this one receives.</summary>
    public List<Resource> References { get; } = [];

    /// <summary>Resources that must be healthy before this one starts.</summary>
    public List<Resource> WaitFor { get; } = [];

    /// <summary>Readiness probe; null means ready as soon as the process runs.</summary>
    public IResourceHealthCheck? HealthCheck { get; internal set; }

    /// <summary>The connection string other resources receive as <c>ConnectionStrings__{name}</c>; null if none.</summary>
    public Func<ResourceContext, string>? ConnectionString { get; internal set; }

    /// <summary>What a reference to this resource injects; by default its connection string and HTTP URLs, Aspire-style.</summary>
    public Func<ResourceContext, IEnumerable<KeyValuePair<string, string>>>? ReferenceEnvironment { get; internal set; }

    /// <summary>Work before the first start (create folders, initdb, write files, restore tools).</summary>
    public List<Func<ResourceContext, CancellationToken, Task>> BeforeStart { get; } = [];

    /// <summary>Work each time the resource becomes healthy after a start (create a database if missing).</summary>
    public List<Func<ResourceContext, CancellationToken, Task>> AfterReady { get; } = [];

    /// <summary>Checked before anything starts; a missing one stops the run with its message.</summary>
    public List<Prerequisite> Prerequisites { get; } = [];

    /// <summary>Signal sent to the process group to stop it gracefully. Default: SIGTERM.</summary>
    public int StopSignal { get; internal set; } = Signals.Terminate;

    /// <summary>How many copies run; copies after the first are named <c>{name}-2</c>, <c>{name}-3</c>... Default: 1.</summary>
    public int Replicas { get; internal set; } = 1;

    /// <summary>Values this resource adds to the run's endpoints file (e.g. the demo admin API key).</summary>
    public Dictionary<string, object?> RunInfo { get; } = new(StringComparer.Ordinal);

    /// <summary>How the resource appears in the deployment manifest; null to leave it out.</summary>
    public Func<ManifestContext, JsonObject>? Manifest { get; internal set; }

    /// <summary>What a reference to this resource injects in the manifest (Aspire placeholders); by default its connection string and HTTP bindings.</summary>
    public Func<ManifestContext, IEnumerable<KeyValuePair<string, string>>>? ManifestReferenceEnvironment { get; internal set; }

    public override string ToString() => Name;

    /// <summary>A copy under another name, for replicas: same launch and wiring, endpoints on free ports.</summary>
    internal Resource CloneAs(string name)
    {
        var copy = new Resource(name, Kind)
        {
            Launch = Launch,
            HealthCheck = HealthCheck,
            ConnectionString = ConnectionString,
            ReferenceEnvironment = ReferenceEnvironment,
            ManifestReferenceEnvironment = ManifestReferenceEnvironment,
            StopSignal = StopSignal,
            Manifest = null,
        };
        copy.Endpoints.AddRange(Endpoints.Select(e => e with { StablePort = null }));
        copy.Environment.AddRange(Environment);
        foreach (var (variable, value) in ConstantEnvironment)
        {
            copy.ConstantEnvironment[variable] = value;
        }

        copy.References.AddRange(References);
        copy.WaitFor.AddRange(WaitFor);
        copy.BeforeStart.AddRange(BeforeStart);
        copy.AfterReady.AddRange(AfterReady);
        copy.Prerequisites.AddRange(Prerequisites);
        return copy;
    }
}

/// <summary>How a resource's process is started: the command and arguments once ports and folders are known.</summary>
public sealed record ProcessLaunch(
    string Command,
    Func<ResourceContext, IReadOnlyList<string>> Arguments,
    Func<ResourceContext, string>? WorkingDirectory = null);

/// <summary>A named endpoint: its scheme, the port it prefers when stable ports are used, and whether it is public.</summary>
public sealed record EndpointDefinition(string Name, string Scheme, int? StablePort = null, bool External = false)
{
    public bool IsHttp => Scheme is "http" or "https";
}

/// <summary>Something the machine must have, with the one line that says how to get it.</summary>
public sealed record Prerequisite(Func<bool> IsPresent, string Message);
