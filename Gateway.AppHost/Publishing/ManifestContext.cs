using System.Text.Json.Nodes;
using Gateway.AppHost.Hosting;

namespace Gateway.AppHost.Publishing;

/// <summary>What a resource needs to describe itself in the manifest: relative paths, placeholders and parameters.</summary>
public sealed class ManifestContext
{
    private readonly SortedDictionary<string, JsonObject> _parameters = new(StringComparer.Ordinal);

    internal ManifestContext(string manifestDirectory) => ManifestDirectory = manifestDirectory;

    /// <summary>Folder the manifest is written to; project paths are relative to it.</summary>
    public string ManifestDirectory { get; }

    internal IReadOnlyDictionary<string, JsonObject> Parameters => _parameters;

    public string RelativePath(string path) => Path.GetRelativePath(ManifestDirectory, path).Replace('\\', '/');

    /// <summary>Declares a <c>parameter.v0</c> and returns its <c>{name.value}</c> placeholder.</summary>
    /// <param name="generatedLength">When set, the deployment tool generates the value (e.g. a password) instead of prompting.</param>
    public string Parameter(string name, bool secret, int? generatedLength = null)
    {
        var input = new JsonObject { ["type"] = "string", ["secret"] = secret };
        if (generatedLength is { } length)
        {
            input["default"] = new JsonObject { ["generate"] = new JsonObject { ["minLength"] = length } };
        }

        _parameters[name] = new JsonObject
        {
            ["type"] = "parameter.v0",
            ["value"] = $"{{{name}.inputs.value}}",
            ["inputs"] = new JsonObject { ["value"] = input },
        };
        return $"{{{name}.value}}";
    }

    /// <summary>The environment <paramref name="resource"/> receives from its references, as Aspire placeholders.</summary>
    public IEnumerable<KeyValuePair<string, string>> ReferenceEnvironment(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        foreach (var reference in resource.References)
        {
            if (reference.ManifestReferenceEnvironment is { } custom)
            {
                foreach (var variable in custom(this))
                {
                    yield return variable;
                }

                continue;
            }

            if (reference.ConnectionString is not null)
            {
                yield return new($"ConnectionStrings__{reference.Name}", $"{{{reference.Name}.connectionString}}");
            }

            foreach (var endpoint in reference.Endpoints.Where(e => e.IsHttp))
            {
                yield return new($"services__{reference.Name}__{endpoint.Name}__0", $"{{{reference.Name}.bindings.{endpoint.Name}.url}}");
            }
        }
    }

    /// <summary>The <c>bindings</c> object of a resource's endpoints.</summary>
    public static JsonObject Bindings(Resource resource, int? targetPort = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var bindings = new JsonObject();
        foreach (var endpoint in resource.Endpoints)
        {
            var binding = new JsonObject
            {
                ["scheme"] = endpoint.Scheme,
                ["protocol"] = "tcp",
                ["transport"] = endpoint.IsHttp ? "http" : "tcp",
            };
            if (endpoint.External)
            {
                binding["external"] = true;
            }

            if (targetPort is { } port)
            {
                binding["targetPort"] = port;
            }

            bindings[endpoint.Name] = binding;
        }

        return bindings;
    }
}
