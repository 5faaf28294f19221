using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.AppHost.Hosting;

namespace Gateway.AppHost.Publishing;

/// <summary>
/// Writes the Aspire 8.0 deployment manifest (what azd reads): every resource that describes itself, then the
/// parameters they declared. Local-only resources (demo MCP servers) describe nothing and are left out.
/// </summary>
public static class ManifestWriter
{
    public const string SchemaUrl = "https://json.schemastore.org/aspire-8.0.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Write(IEnumerable<Resource> resources, string manifestDirectory)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var context = new ManifestContext(Path.GetFullPath(manifestDirectory));
        var entries = new JsonObject();
        foreach (var resource in resources)
        {
            if (resource.Manifest is { } describe)
            {
                entries[resource.Name] = describe(context);
            }
        }

        foreach (var (name, parameter) in context.Parameters)
        {
            entries[name] = parameter;
        }

        var manifest = new JsonObject { ["$schema"] = SchemaUrl, ["resources"] = entries };
        return manifest.ToJsonString(Indented) + "\n";
    }
}
