using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Gateway.AppHost.Configuration;
using Gateway.AppHost.Supervision;
using Gateway.Contracts.Configuration;

namespace Gateway.Testing.Aspire;

/// <summary>
/// The AppHost's own model (<c>Gateway.AppHost/Program.cs</c>) in Aspire's test builder, with the changes a test makes
/// before it starts: gateway configuration, environment, a second replica of a service, a part of the model only.
/// Ports are free ones, the run folder is temporary and the dashboard is off unless asked for.
/// <code>
/// await using var app = await (await GatewayAppBuilder.CreateAsync()).Only("audit").StartAsync();
/// </code>
/// </summary>
public sealed class GatewayAppBuilder
{
    private readonly Dictionary<string, List<string>> _replicas = new(StringComparer.Ordinal);

    private GatewayAppBuilder(IDistributedApplicationTestingBuilder builder, string adminKey)
    {
        Builder = builder;
        AdminKey = adminKey;
    }

    /// <summary>Aspire's builder, for anything the helpers here do not cover.</summary>
    public IDistributedApplicationTestingBuilder Builder { get; }

    /// <summary>The admin API key of this run (the AppHost's <c>admin-key</c> parameter).</summary>
    public string AdminKey { get; }

    /// <summary>The gateway configuration the services are given.</summary>
    public GatewayConfigurationResource GatewayConfiguration => Builder.Resources.OfType<GatewayConfigurationResource>().Single();

    /// <param name="dashboard">Run the Aspire dashboard too (browser tests).</param>
    /// <param name="args">AppHost configuration, e.g. <c>--AppHost:AuditDb=postgres</c>.</param>
    public static async Task<GatewayAppBuilder> CreateAsync(bool dashboard = false, params string[] args)
    {
        var adminKey = "gw_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Gateway_AppHost>(
            [$"--Parameters:admin-key={adminKey}", .. args],
            (options, _) =>
            {
                options.DisableDashboard = !dashboard;
                options.AllowUnsecuredTransport = true;
            });
        return new GatewayAppBuilder(builder, adminKey);
    }

    /// <summary>Changes the gateway options written for the services.</summary>
    public GatewayAppBuilder ConfigureGateway(Action<GatewayOptions> change)
    {
        GatewayConfiguration.Configure(change);
        return this;
    }

    /// <summary>Sets an environment variable of <paramref name="resource"/> and of every replica added of it, before or after.</summary>
    public GatewayAppBuilder WithEnvironment(string resource, string name, string value)
    {
        foreach (var target in _replicas.GetValueOrDefault(resource, []).Prepend(resource))
        {
            Builder.CreateResourceBuilder(Get<IResourceWithEnvironment>(target)).WithEnvironment(name, value);
        }

        return this;
    }

    /// <summary>
    /// Adds <paramref name="replica"/>, a second process of the project <paramref name="resource"/>, with the same
    /// references, environment and dependencies, addressable on its own (Aspire's <c>WithReplicas</c> puts replicas
    /// behind one port, and these tests must reach, stop or kill each replica).
    /// </summary>
    public GatewayAppBuilder AddReplica(string resource, string replica)
    {
        var original = Get<ProjectResource>(resource);
        var copy = AddProjectLike(original, replica).WithHttpEndpoint().WithHttpHealthCheck("/health");
        // What is set on the original afterwards must reach this copy too; annotations copied here are all it gets otherwise.
        _replicas.TryAdd(resource, []);
        _replicas[resource].Add(replica);
        // The copy is given what the AppHost gave the original after the environment AddProject gives every project
        // (the copy has its own of that): references and waits through the same calls the AppHost made, the other
        // variables (gateway configuration file, spill folder) as new annotations calling the same callbacks. Aspire
        // must not see one annotation object on two resources: when the copies shared the original's, the copy
        // started without its connection strings or configuration file, or the original on the copy's port.
        var projectDefaults = copy.Resource.Annotations.OfType<EnvironmentCallbackAnnotation>().Count();
        var environmentSeen = 0;
        IResourceAnnotation? previous = null;
        foreach (var annotation in original.Annotations.ToList())
        {
            switch (annotation)
            {
                case ResourceRelationshipAnnotation { Type: "Reference", Resource: IResourceWithConnectionString server }:
                    copy.WithReference(Builder.CreateResourceBuilder(server));
                    break;
                case ResourceRelationshipAnnotation { Type: "Reference", Resource: IResourceWithServiceDiscovery service }:
                    copy.WithReference(Builder.CreateResourceBuilder(service));
                    break;
                case WaitAnnotation { WaitType: WaitType.WaitUntilHealthy } wait:
                    copy.WaitFor(Builder.CreateResourceBuilder(wait.Resource));
                    break;
                case RestartOnCrashAnnotation:
                    copy.WithRestartOnCrash();
                    break;
                case EnvironmentCallbackAnnotation when environmentSeen++ < projectDefaults:
                    break;
                case EnvironmentCallbackAnnotation when previous is EndpointReferenceAnnotation
                    or ResourceRelationshipAnnotation { Type: "Reference", Resource: IResourceWithConnectionString }:
                    // A reference's own variables (after its relationship for a connection string, after its endpoint
                    // reference for service discovery): the WithReference above has given the copy its own.
                    break;
                case EnvironmentCallbackAnnotation environment:
                    copy.WithAnnotation(new EnvironmentCallbackAnnotation(environment.Callback), ResourceAnnotationMutationBehavior.Append);
                    break;
            }

            previous = annotation;
        }

        // Each of the two projects is told its own endpoint, last, so that nothing shared between them (one run with
        // shared annotations started the original on the copy's port) decides where either listens.
        ListenOn(Builder.CreateResourceBuilder(original));
        ListenOn(copy);
        return this;
    }

    /// <summary>
    /// Keeps only <paramref name="resources"/>, what they wait for or reference, and the parameters: a test of one
    /// service starts in seconds less, and nothing else competes for the two cores.
    /// </summary>
    public GatewayAppBuilder Only(params string[] resources)
    {
        var keep = new HashSet<IResource>();
        var pending = new Stack<IResource>(resources.Select(Get<IResource>));
        while (pending.TryPop(out var resource))
        {
            if (!keep.Add(resource))
            {
                continue;
            }

            foreach (var dependency in resource.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource)
                .Concat(resource.Annotations.OfType<ResourceRelationshipAnnotation>().Select(r => r.Resource)))
            {
                pending.Push(dependency);
            }
        }

        foreach (var resource in Builder.Resources.Where(r => !keep.Contains(r) && r is not ParameterResource and not GatewayConfigurationResource).ToList())
        {
            Builder.Resources.Remove(resource);
        }

        return this;
    }

    /// <summary>Builds and starts the model; returns once every resource that has a health check is healthy.</summary>
    public async Task<GatewayTestApp> StartAsync(CancellationToken cancellationToken = default)
    {
        var app = await Builder.BuildAsync(cancellationToken);
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(GatewayTestApp.StartTimeout);
            await app.StartAsync(limit.Token);
            var running = new GatewayTestApp(app, AdminKey);
            await running.WaitForAllHealthyAsync(limit.Token);
            return running;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A project of the same generated <c>Projects.*</c> type as <paramref name="original"/>: DCP runs it as the
    /// original, <c>dotnet run --no-build</c>. Added by path instead, each replica would build the project again at
    /// start, over the files the running original uses.
    /// </summary>
    private IResourceBuilder<ProjectResource> AddProjectLike(ProjectResource original, string name)
    {
        var metadataType = original.Annotations.OfType<IProjectMetadata>().Single().GetType();
        var addProject = typeof(ProjectResourceBuilderExtensions).GetMethods()
            .Single(m => m.Name == nameof(ProjectResourceBuilderExtensions.AddProject) && m.IsGenericMethodDefinition && m.GetParameters().Length == 2);
        return (IResourceBuilder<ProjectResource>)addProject.MakeGenericMethod(metadataType).Invoke(null, [Builder, name])!;
    }

    private static void ListenOn(IResourceBuilder<ProjectResource> project) =>
        project.WithEnvironment("ASPNETCORE_URLS", ReferenceExpression.Create($"http://localhost:{project.GetEndpoint("http").Property(EndpointProperty.TargetPort)}"));

    private T Get<T>(string name)
        where T : IResource =>
        Builder.Resources.OfType<T>().SingleOrDefault(r => r.Name == name)
            ?? throw new ArgumentException($"The model has no {typeof(T).Name} named '{name}'.", nameof(name));
}
