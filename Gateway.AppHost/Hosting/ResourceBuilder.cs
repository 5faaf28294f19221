using System.Globalization;
using System.Text.Json.Nodes;
using Gateway.AppHost.Publishing;

namespace Gateway.AppHost.Hosting;

/// <summary>Fluent declaration of a <see cref="Hosting.Resource"/>, in the shape of Aspire's <c>IResourceBuilder</c>.</summary>
public sealed class ResourceBuilder
{
    internal ResourceBuilder(DistributedApplicationBuilder application, Resource resource)
    {
        Application = application;
        Resource = resource;
    }

    public DistributedApplicationBuilder Application { get; }

    public Resource Resource { get; }

    public string Name => Resource.Name;

    /// <summary>Injects this resource's wiring from <paramref name="source"/>: <c>ConnectionStrings__{name}</c> and <c>services__{name}__http__0</c>.</summary>
    public ResourceBuilder WithReference(ResourceBuilder source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Resource.References.Add(source.Resource);
        return this;
    }

    /// <summary>Starts this resource only once <paramref name="dependency"/> is healthy.</summary>
    public ResourceBuilder WaitFor(ResourceBuilder dependency)
    {
        ArgumentNullException.ThrowIfNull(dependency);
        Resource.WaitFor.Add(dependency.Resource);
        return this;
    }

    /// <summary>A variable with a constant value; unlike a callback's, it is also written to the manifest.</summary>
    public ResourceBuilder WithEnvironment(string name, string value)
    {
        Resource.ConstantEnvironment[name] = value;
        return WithEnvironment(context => context.Variables[name] = value);
    }

    public ResourceBuilder WithEnvironment(Action<EnvironmentContext> callback)
    {
        Resource.Environment.Add(callback);
        return this;
    }

    /// <summary>
    /// Adds an HTTP endpoint. <paramref name="port"/> is the stable port used by <c>dotnet run</c> (overridable with
    /// <c>AppHost:Ports:{resource}</c>); tests always get a free port.
    /// </summary>
    public ResourceBuilder WithHttpEndpoint(string name = "http", int? port = null, bool external = false)
    {
        Resource.Endpoints.Add(new EndpointDefinition(name, "http", port, external));
        return this;
    }

    public ResourceBuilder WithTcpEndpoint(string name = "tcp", int? port = null)
    {
        Resource.Endpoints.Add(new EndpointDefinition(name, "tcp", port));
        return this;
    }

    /// <summary>Marks every HTTP endpoint as reachable from outside the environment when published.</summary>
    public ResourceBuilder WithExternalHttpEndpoints()
    {
        for (var i = 0; i < Resource.Endpoints.Count; i++)
        {
            if (Resource.Endpoints[i].IsHttp)
            {
                Resource.Endpoints[i] = Resource.Endpoints[i] with { External = true };
            }
        }

        return this;
    }

    public ResourceBuilder WithHttpHealthCheck(string path, string endpoint = "http") => WithHealthCheck(new HttpHealthCheck(endpoint, path));

    public ResourceBuilder WithHealthCheck(IResourceHealthCheck check)
    {
        Resource.HealthCheck = check;
        return this;
    }

    public ResourceBuilder WithConnectionString(Func<ResourceContext, string> connectionString)
    {
        Resource.ConnectionString = connectionString;
        return this;
    }

    public ResourceBuilder WithReferenceEnvironment(Func<ResourceContext, IEnumerable<KeyValuePair<string, string>>> environment)
    {
        Resource.ReferenceEnvironment = environment;
        return this;
    }

    public ResourceBuilder WithLaunch(ProcessLaunch launch)
    {
        Resource.Launch = launch;
        return this;
    }

    public ResourceBuilder WithBeforeStart(Func<ResourceContext, CancellationToken, Task> hook)
    {
        Resource.BeforeStart.Add(hook);
        return this;
    }

    public ResourceBuilder WithAfterReady(Func<ResourceContext, CancellationToken, Task> hook)
    {
        Resource.AfterReady.Add(hook);
        return this;
    }

    public ResourceBuilder WithPrerequisite(Func<bool> isPresent, string message)
    {
        Resource.Prerequisites.Add(new Prerequisite(isPresent, message));
        return this;
    }

    public ResourceBuilder WithStopSignal(int signal)
    {
        Resource.StopSignal = signal;
        return this;
    }

    /// <summary>Runs <paramref name="replicas"/> copies; the first keeps the name, the others are <c>{name}-2</c>... each on its own port.</summary>
    public ResourceBuilder WithReplicas(int replicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        Resource.Replicas = replicas;
        return this;
    }

    public ResourceBuilder WithManifest(Func<ManifestContext, JsonObject> manifest)
    {
        Resource.Manifest = manifest;
        return this;
    }

    public ResourceBuilder WithManifestReferenceEnvironment(Func<ManifestContext, IEnumerable<KeyValuePair<string, string>>> environment)
    {
        Resource.ManifestReferenceEnvironment = environment;
        return this;
    }

    internal static string ReplicaName(string name, int index) =>
        index == 0 ? name : string.Create(CultureInfo.InvariantCulture, $"{name}-{index + 1}");
}
