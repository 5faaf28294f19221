using System.Text.Json.Nodes;
using Gateway.AppHost.Hosting;
using Gateway.AppHost.Publishing;
using Gateway.AppHost.Orchestration;

namespace Gateway.AppHost.Resources;

public static class ProjectResourceExtensions
{
    // Projects share Gateway.Contracts and ServiceDefaults: building two at once would race on their obj folders.
    private static readonly SemaphoreSlim BuildLock = new(1, 1);

    /// <summary>
    /// A .NET service, run from its build output as <c>dotnet &lt;dll&gt;</c> (building it first only if it was never
    /// built: building the AppHost builds it), listening on <c>ASPNETCORE_URLS=http://127.0.0.1:{port}</c>, healthy
    /// when <c>/health</c> answers 200, with the Aspire environment (<c>OTEL_*</c>, <c>ASPNETCORE_ENVIRONMENT</c>).
    /// </summary>
    /// <param name="projectPath">Path of the .csproj, relative to the repository root.</param>
    /// <param name="port">Stable port used by <c>dotnet run</c>.</param>
    public static ResourceBuilder AddProject(this DistributedApplicationBuilder builder, string name, string projectPath, int port)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var project = Path.GetFullPath(Path.Combine(builder.RepositoryRoot, projectPath));
        var assemblyName = Path.GetFileNameWithoutExtension(project);
        var output = Path.Combine(Path.GetDirectoryName(project)!, "bin", DistributedApplicationBuilder.BuildConfiguration, "net10.0");
        var dll = Path.Combine(output, assemblyName + ".dll");
        var otlpEndpoint = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];

        var resource = builder.AddResource(name, ResourceKind.Project)
            .WithHttpEndpoint(port: port)
            .WithHttpHealthCheck("/health")
            .WithPrerequisite(() => File.Exists(project), $"Project {project} not found: run the AppHost from a complete clone of the repository.")
            .WithLaunch(new ProcessLaunch(DotNetHost.Path, _ => [dll], _ => output))
            .WithBeforeStart((context, cancellationToken) => BuildIfMissingAsync(project, dll, cancellationToken))
            .WithEnvironment(context =>
            {
                var variables = context.Variables;
                variables["ASPNETCORE_URLS"] = context.Context.Url().ToString().TrimEnd('/');
                variables["ASPNETCORE_ENVIRONMENT"] = "Development";
                variables["DOTNET_ENVIRONMENT"] = "Development";
                variables["OTEL_SERVICE_NAME"] = name;
                variables["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={context.Context.Resource.Name}";
                if (!string.IsNullOrWhiteSpace(otlpEndpoint))
                {
                    variables["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlpEndpoint;
                }

                // Single-line console logs read well in the dashboard's log view.
                variables["Logging__Console__FormatterName"] = "simple";
                variables["Logging__Console__FormatterOptions__SingleLine"] = "true";
            });
        return resource.WithManifest(context =>
        {
            var environment = new JsonObject
            {
                ["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EXCEPTION_LOG_ATTRIBUTES"] = "true",
                ["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EVENT_LOG_ATTRIBUTES"] = "true",
                ["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true",
                ["HTTP_PORTS"] = $"{{{name}.bindings.http.targetPort}}",
            };
            foreach (var (key, value) in context.ReferenceEnvironment(resource.Resource))
            {
                environment[key] = value;
            }

            foreach (var (key, value) in resource.Resource.ConstantEnvironment)
            {
                environment[key] = value;
            }

            return new JsonObject
            {
                ["type"] = "project.v0",
                ["path"] = context.RelativePath(project),
                ["env"] = environment,
                ["bindings"] = ManifestContext.Bindings(resource.Resource),
            };
        });
    }

    private static async Task BuildIfMissingAsync(string project, string dll, CancellationToken cancellationToken)
    {
        await BuildLock.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(dll))
            {
                return;
            }

            var result = await CommandRunner.RunAsync(
                DotNetHost.Path,
                ["build", project, "-c", DistributedApplicationBuilder.BuildConfiguration, "--nologo", "-v", "q"],
                TimeSpan.FromMinutes(5),
                cancellationToken: cancellationToken);
            if (result.ExitCode != 0)
            {
                throw new AppHostException($"Building {Path.GetFileName(project)} failed:\n{result.Output}");
            }
        }
        finally
        {
            BuildLock.Release();
        }
    }
}
