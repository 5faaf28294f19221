using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Contracts.Configuration;

namespace Gateway.AppHost.Configuration;

/// <summary>
/// The gateway's own configuration (<see cref="GatewayOptions"/>: backends, providers, models, clients, roles, limits) for one run,
/// written as <c>gateway.json</c> into the run folder when the first service starts, once every backend it names has
/// an address. Services read it through <c>Gateway__ConfigFile</c> and reload it when it changes, so tests and
/// operators may edit the file of a running system.
/// </summary>
public sealed class GatewayConfigurationResource(string name, string directory, ParameterResource adminKey) : Resource(name)
{
    /// <summary>The client the AppHost's admin key authenticates as, with the <see cref="AdminRole"/>.</summary>
    public const string AdminClientId = "demo-admin";
    public const string AdminRole = "admin";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly List<Func<GatewayOptions, CancellationToken, Task>> _changes = [];
    private readonly object _writeLock = new();
    private Task<string>? _written;

    /// <summary>Where the file is written.</summary>
    public string FilePath { get; } = Path.Combine(directory, "gateway.json");

    /// <summary>The admin API key (a secret parameter); the file holds only its SHA-256.</summary>
    public ParameterResource AdminKey { get; } = adminKey;

    /// <summary>Changes the options before they are written: a backend, a client, limits.</summary>
    public GatewayConfigurationResource Configure(Action<GatewayOptions> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        _changes.Add((options, _) =>
        {
            change(options);
            return Task.CompletedTask;
        });
        return this;
    }

    /// <summary>Like <see cref="Configure(Action{GatewayOptions})"/>, for changes that need a value only known at run time (an endpoint, a secret).</summary>
    public GatewayConfigurationResource Configure(Func<GatewayOptions, CancellationToken, Task> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        _changes.Add(change);
        return this;
    }

    /// <summary>The options as they are written.</summary>
    public async Task<GatewayOptions> BuildAsync(CancellationToken cancellationToken)
    {
        var options = new GatewayOptions();
        var key = await AdminKey.GetValueAsync(cancellationToken) ?? throw new InvalidOperationException($"Parameter {AdminKey.Name} has no value.");
        options.Clients.Add(new ClientOptions { Id = AdminClientId, KeySha256 = Sha256Hex(key), Roles = [AdminRole] });
        options.Roles[AdminRole] = new RoleOptions { Tools = ["*"], Resources = ["*"], Prompts = ["*"], Models = ["*"] };
        foreach (var change in _changes)
        {
            await change(options, cancellationToken);
        }

        return options;
    }

    /// <summary>Writes the file the first time any service asks; later callers get the same file.</summary>
    public Task<string> EnsureWrittenAsync()
    {
        lock (_writeLock)
        {
            // Not cancelled with the first caller: every service waits for the same file.
            return _written ??= WriteAsync(CancellationToken.None);
        }
    }

    private async Task<string> WriteAsync(CancellationToken cancellationToken)
    {
        var document = new Dictionary<string, GatewayOptions> { [GatewayOptions.SectionName] = await BuildAsync(cancellationToken) };
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        await File.WriteAllTextAsync(FilePath, JsonSerializer.Serialize(document, Json), cancellationToken);
        return FilePath;
    }

    public static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
