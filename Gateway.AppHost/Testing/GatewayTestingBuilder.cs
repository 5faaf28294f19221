using Gateway.AppHost.Hosting;
using Gateway.Contracts.Configuration;
using Microsoft.Extensions.Configuration;

namespace Gateway.AppHost.Testing;

/// <summary>
/// Builds the AppHost's own model for a whole-system test, in the shape of Aspire's
/// <c>DistributedApplicationTestingBuilder</c>: free ports everywhere, a temporary run folder deleted on dispose,
/// and per-test changes (configuration, gateway options, environment, replicas, a subset of resources).
/// <code>
/// await using var app = await GatewayTestingBuilder.Create().StartOnly("audit").StartAsync();
/// using var client = app.CreateHttpClient("audit");
/// </code>
/// </summary>
public sealed class GatewayTestingBuilder
{
    private GatewayTestingBuilder(DistributedApplicationBuilder application, GatewayAppModel model)
    {
        Application = application;
        Model = model;
    }

    /// <summary>The underlying builder: add resources, change <see cref="DistributedApplicationBuilder.Options"/> or the logger.</summary>
    public DistributedApplicationBuilder Application { get; }

    /// <summary>The declared resources, to change them before start.</summary>
    public GatewayAppModel Model { get; }

    /// <summary>API key of the demo admin client of this run.</summary>
    public string AdminApiKey => Model.GatewayConfig.AdminApiKey;

    /// <param name="configure">Configuration the model reads while it is declared, e.g. <c>AppHost:AuditDb=postgres</c>.</param>
    /// <param name="args">Command-line style configuration, as the AppHost would receive it.</param>
    public static GatewayTestingBuilder Create(Action<IConfigurationBuilder>? configure = null, params string[] args)
    {
        var application = DistributedApplication.CreateBuilder(args, configure);
        var options = application.Options;
        options.RandomPorts = true;
        options.DashboardPort = 0;
        options.DeleteRunDirectory = true;
        // Services stop within their own drain timeout; tests should not wait longer than that.
        options.StopTimeout = TimeSpan.FromSeconds(10);
        return new GatewayTestingBuilder(application, GatewayAppModel.Define(application));
    }

    /// <summary>Changes the gateway options written to the run's gateway.json.</summary>
    public GatewayTestingBuilder ConfigureGateway(Action<GatewayOptions> change)
    {
        Model.GatewayConfig.Configure(change);
        return this;
    }

    public GatewayTestingBuilder WithEnvironment(string resource, string name, string value)
    {
        Application[resource].WithEnvironment(name, value);
        return this;
    }

    /// <summary>Runs N copies of a resource: <c>proxy</c>, <c>proxy-2</c>...</summary>
    public GatewayTestingBuilder WithReplicas(string resource, int replicas)
    {
        Application[resource].WithReplicas(replicas);
        return this;
    }

    /// <summary>Starts only these resources and what they reference or wait for (e.g. <c>audit</c> brings messaging and auditdb).</summary>
    public GatewayTestingBuilder StartOnly(params string[] resources)
    {
        Application.Options.StartOnly.AddRange(resources);
        return this;
    }

    /// <summary>Lays out the run in a new temporary folder (unless one was set) that disposing the app deletes.</summary>
    public DistributedApplication Build()
    {
        Application.Options.RunDirectory ??= Directory.CreateTempSubdirectory("gateway-test-").FullName;
        return Application.Build();
    }

    /// <summary>Builds and starts; returns once every resource is healthy. On failure nothing is left running.</summary>
    public async Task<DistributedApplication> StartAsync(CancellationToken cancellationToken = default)
    {
        var app = Build();
        try
        {
            await app.StartAsync(cancellationToken);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }
}
