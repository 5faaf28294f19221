using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Gateway.AppHost.Configuration;
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

    public GatewayAppBuilder WithEnvironment(string resource, string name, string value)
    {
        Builder.CreateResourceBuilder(Get<IResourceWithEnvironment>(resource)).WithEnvironment(name, value);
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
        var path = original.Annotations.OfType<IProjectMetadata>().Single().ProjectPath;
        var copy = Builder.AddProject(replica, path).WithHttpEndpoint().WithHttpHealthCheck("/health");
        foreach (var annotation in original.Annotations.Where(a => a is EnvironmentCallbackAnnotation or WaitAnnotation or ResourceRelationshipAnnotation or Gateway.AppHost.Supervision.RestartOnCrashAnnotation))
        {
            copy.WithAnnotation(annotation, ResourceAnnotationMutationBehavior.Append);
        }

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

    private T Get<T>(string name)
        where T : IResource =>
        Builder.Resources.OfType<T>().SingleOrDefault(r => r.Name == name)
            ?? throw new ArgumentException($"The model has no {typeof(T).Name} named '{name}'.", nameof(name));
}
