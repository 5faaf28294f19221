using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.AppHost.Hosting;
using Gateway.Contracts.Configuration;

namespace Gateway.AppHost.Resources;

public static class GatewayConfigResourceExtensions
{
    /// <summary>
    /// The services' <c>gateway.json</c> (<see cref="GatewayOptions"/>), written into the run folder before they start:
    /// the demo backends and a demo admin client whose API key is generated per run and stored only as its SHA-256.
    /// </summary>
    public static GatewayConfigFile AddGatewayConfig(this DistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return new GatewayConfigFile(builder.AddResource(name, ResourceKind.Value));
    }

    /// <summary>Gives the service the gateway configuration (<c>Gateway__ConfigFile</c>) once it is written.</summary>
    public static ResourceBuilder WithGatewayConfig(this ResourceBuilder builder, GatewayConfigFile config)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(config);
        return builder.WithReference(config.Resource).WaitFor(config.Resource);
    }
}

/// <summary>The gateway configuration file of a run, built from the model's backends plus per-test changes.</summary>
public sealed class GatewayConfigFile
{
    public const string AdminClientId = "demo-admin";
    public const string AdminRole = "admin";
    public const string FileName = "gateway.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly List<Action<GatewayOptions, ResourceContext>> _changes = [];

    internal GatewayConfigFile(ResourceBuilder resource)
    {
        Resource = resource;
        AdminApiKey = "gw_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        resource.Resource.RunInfo["adminApiKey"] = AdminApiKey;
        resource
            .WithBeforeStart((context, cancellationToken) => WriteAsync(context, cancellationToken))
            .WithReferenceEnvironment(context => [new("Gateway__ConfigFile", PathIn(context))])
            .WithManifestReferenceEnvironment(context =>
            [
                new("Gateway__Clients__0__Id", AdminClientId),
                new("Gateway__Clients__0__KeySha256", context.Parameter("admin-key-sha256", secret: true)),
                new("Gateway__Clients__0__Roles__0", AdminRole),
            ]);
        Configure(options =>
        {
            options.Clients.Add(new ClientOptions { Id = AdminClientId, KeySha256 = Sha256Hex(AdminApiKey), Roles = [AdminRole] });
            options.Roles[AdminRole] = new RoleOptions { Tools = ["*"], Resources = ["*"], Prompts = ["*"] };
        });
    }

    public ResourceBuilder Resource { get; }

    /// <summary>API key of the demo admin client, new for every run; printed at start and in <c>endpoints.json</c>.</summary>
    public string AdminApiKey { get; }

    /// <summary>Adds a Streamable HTTP backend served by <paramref name="server"/> at <paramref name="path"/>.</summary>
    public GatewayConfigFile WithHttpBackend(string backendName, ResourceBuilder server, string path = "/mcp")
    {
        ArgumentNullException.ThrowIfNull(server);
        _changes.Add((options, context) => options.Backends.Add(new BackendOptions
        {
            Name = backendName,
            Transport = BackendTransport.Http,
            Url = new Uri(context.Of(server.Resource).Url(), path),
        }));
        return this;
    }

    /// <summary>Adds a stdio backend: the proxy launches <paramref name="command"/> itself.</summary>
    public GatewayConfigFile WithStdioBackend(string backendName, string command, params string[] arguments)
    {
        _changes.Add((options, _) => options.Backends.Add(new BackendOptions
        {
            Name = backendName,
            Transport = BackendTransport.Stdio,
            Command = command,
            Args = [.. arguments],
        }));
        return this;
    }

    /// <summary>Changes the options before they are written (tests: limits, clients, extra backends).</summary>
    public GatewayConfigFile Configure(Action<GatewayOptions> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        _changes.Add((options, _) => change(options));
        return this;
    }

    public static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The options as they will be written, for the given run.</summary>
    public GatewayOptions Build(ResourceContext context)
    {
        var options = new GatewayOptions();
        foreach (var change in _changes)
        {
            change(options, context);
        }

        return options;
    }

    public static string PathIn(ResourceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return System.IO.Path.Combine(context.DataDirectory, FileName);
    }

    private async Task WriteAsync(ResourceContext context, CancellationToken cancellationToken)
    {
        var document = new Dictionary<string, GatewayOptions> { [GatewayOptions.SectionName] = Build(context) };
        var path = PathIn(context);
        Resource.Resource.RunInfo["gatewayConfigFile"] = path;
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(document, Json), cancellationToken);
    }
}
