using System.ComponentModel.DataAnnotations;

namespace Gateway.AppHost.Hosting;

/// <summary>How a run is laid out. Bound from the <c>AppHost</c> configuration section (command line, environment, appsettings).</summary>
public sealed class DistributedApplicationOptions
{
    public const string SectionName = "AppHost";

    /// <summary>Repository the AppHost runs from. Default: the one the AppHost was built in.</summary>
    public string? RepositoryRoot { get; set; }

    /// <summary>Folder for this run's data and logs. Default: <c>.run/&lt;timestamp&gt;-&lt;pid&gt;</c> under the repository, kept after exit.</summary>
    public string? RunDirectory { get; set; }

    /// <summary>Whether the run folder is deleted when the application is disposed. Default: false (tests: true).</summary>
    public bool DeleteRunDirectory { get; set; }

    /// <summary>Use free ports everywhere instead of the stable service ports. Default: false (tests: true).</summary>
    public bool RandomPorts { get; set; }

    /// <summary>Port overrides by resource name, e.g. <c>AppHost:Ports:proxy=6080</c>.</summary>
    public Dictionary<string, int> Ports { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Dashboard port. Default: 5090; 0 picks a free port; negative disables the dashboard.</summary>
    [Range(-1, 65535)]
    public int DashboardPort { get; set; } = 5090;

    /// <summary>How long every resource may take to become healthy. Default: 3 min (the first run builds and restores).</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long a resource may take to stop after its stop signal before it is killed. Default: 10 s.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Start only these resources and what they reference or wait for. Default: empty (everything).</summary>
    public List<string> StartOnly { get; set; } = [];
}
