using System.Text;
using Gateway.AppHost.Orchestration;

namespace Gateway.AppHost.Dashboard;

/// <summary>The one console table printed once every resource is healthy.</summary>
public static class ResourceTable
{
    private static readonly string[] Header = ["RESOURCE", "KIND", "STATE", "PID", "URL / CONNECTION"];

    public static string Render(IReadOnlyList<ResourceSnapshot> resources, Uri? dashboard)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var rows = new List<string[]> { Header };
        foreach (var resource in resources)
        {
            var target = resource.Endpoints.Count > 0
                ? string.Join(' ', resource.Endpoints.Values)
                : resource.ConnectionString ?? "";
            if (resource.Kind != "Project" && resource.ConnectionString is { } connection && resource.Endpoints.Count > 0)
            {
                target = connection;
            }

            rows.Add([resource.Name, resource.Kind, $"{resource.State}/{resource.Health}", resource.ProcessId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-", target]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            text.AppendLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }

        if (dashboard is not null)
        {
            text.Append("Dashboard: ").Append(dashboard.ToString().TrimEnd('/'));
        }

        return text.ToString().TrimEnd();
    }
}
