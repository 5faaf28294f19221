using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using Anthropic;
using Gateway.Authentication;
using Gateway.Contracts.Messages;
using Gateway.FakeProvider;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Tests.Fakes;
using Gateway.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenAI;

namespace Gateway.Proxy.Tests.Llm;

/// <summary>
/// A proxy on Kestrel in front of two fake providers (<c>primary</c>, <c>secondary</c>, both OpenAI kind, and
/// <c>claude</c>, Anthropic kind on the primary fake). Models: <c>chat</c> (primary, then secondary), <c>embed</c>
/// (primary, then secondary), <c>claude</c>. Clients: <c>agent-1</c> (key-1, every model), <c>embedder</c> (key-2,
/// <c>embed</c> only). Breakers open after 2 consecutive failures for 0.5 s. Audit events are captured where the
/// bus would take them.
/// </summary>
internal sealed class LlmTestEnvironment : IAsyncDisposable
{
    public const string AgentKey = "key-1";
    public const string EmbedderKey = "key-2";
    public const string ProviderKey = "sk-provider-secret";

    private readonly GatewayFactory _gateway;

    private LlmTestEnvironment(FakeProviderServer primary, FakeProviderServer secondary, GatewayFactory gateway, CapturedAudit audit)
    {
        Primary = primary;
        Secondary = secondary;
        _gateway = gateway;
        Audit = audit;
        BaseUrl = gateway.ListeningAddress;
    }

    public FakeProviderServer Primary { get; }

    public FakeProviderServer Secondary { get; }

    public CapturedAudit Audit { get; }

    /// <summary>The proxy's root, e.g. <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseUrl { get; }

    public IServiceProvider Services => _gateway.Services;

    public static async Task<LlmTestEnvironment> StartAsync(Action<Dictionary<string, string?>>? configure = null)
    {
        var primary = await FakeProviderServer.StartAsync(new FakeProviderOptions { Name = "primary", ApiKey = ProviderKey });
        var secondary = await FakeProviderServer.StartAsync(new FakeProviderOptions { Name = "secondary", ApiKey = ProviderKey });
        var settings = new Dictionary<string, string?>
        {
            ["LLM_KEY"] = ProviderKey,
            ["Gateway:Clients:0:Id"] = "agent-1",
            ["Gateway:Clients:0:KeySha256"] = GatewayAuth.HashKey(AgentKey),
            ["Gateway:Clients:0:Roles:0"] = "user",
            ["Gateway:Clients:1:Id"] = "embedder",
            ["Gateway:Clients:1:KeySha256"] = GatewayAuth.HashKey(EmbedderKey),
            ["Gateway:Clients:1:Roles:0"] = "embedding",
            ["Gateway:Roles:user:Models:0"] = "*",
            ["Gateway:Roles:embedding:Models:0"] = "embed",
            ["Gateway:CircuitBreaker:ConsecutiveFailures"] = "2",
            ["Gateway:CircuitBreaker:BreakDuration"] = "00:00:00.500",
            ["Gateway:CircuitBreaker:MaxBreakDuration"] = "00:00:00.500",
            ["Gateway:Audit:SpillDirectory"] = Path.Combine(Path.GetTempPath(), "gateway-tests", Guid.NewGuid().ToString("N")),
            ["Gateway:Audit:BatchDelay"] = "00:00:00.010",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        Provider(settings, 0, "primary", "OpenAI", primary.OpenAIEndpoint);
        Provider(settings, 1, "secondary", "OpenAI", secondary.OpenAIEndpoint);
        Provider(settings, 2, "claude", "Anthropic", primary.OpenAIEndpoint);
        Model(settings, 0, "chat", ("primary", "fake-gpt", 0), ("secondary", "fake-gpt", 1));
        Model(settings, 1, "embed", ("primary", "fake-embed", 0), ("secondary", "fake-embed", 1));
        Model(settings, 2, "claude", ("claude", "fake-claude", 0));
        configure?.Invoke(settings);

        var audit = new CapturedAudit();
        var gateway = new GatewayFactory(settings, kestrel: true, services => services.Replace(ServiceDescriptor.Singleton<IAuditTransport>(audit)));
        return new LlmTestEnvironment(primary, secondary, gateway, audit);
    }

    public OpenAIClient OpenAI(string key = AgentKey) =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(BaseUrl, "v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });

    public AnthropicClient Anthropic(string key = AgentKey) =>
        new() { ApiKey = key, BaseUrl = BaseUrl.ToString().TrimEnd('/'), MaxRetries = 0 };

    public HttpClient Http(string? key = AgentKey)
    {
        var client = new HttpClient { BaseAddress = BaseUrl };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>Waits until <paramref name="count"/> audit events have been published, and returns them all.</summary>
    public Task<IReadOnlyList<AuditEvent>> AuditedAsync(int count) =>
        Eventually.ValueAsync(() => Task.FromResult(Audit.Events.Count >= count ? Audit.Events : null), TimeSpan.FromSeconds(30), $"{count} audit events");

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await Primary.DisposeAsync();
        await Secondary.DisposeAsync();
    }

    private static void Provider(Dictionary<string, string?> settings, int index, string name, string kind, Uri baseUrl)
    {
        var prefix = $"Gateway:Providers:{index}:";
        settings[prefix + "Name"] = name;
        settings[prefix + "Kind"] = kind;
        settings[prefix + "BaseUrl"] = baseUrl.ToString();
        settings[prefix + "ApiKeySetting"] = "LLM_KEY";
        settings[prefix + "FirstByteTimeout"] = "00:00:02";
        settings[prefix + "IdleTimeout"] = "00:00:01";
        settings[prefix + "Timeout"] = "00:00:10";
    }

    private static void Model(Dictionary<string, string?> settings, int index, string name, params (string Provider, string Model, int Priority)[] targets)
    {
        settings[$"Gateway:Models:{index}:Name"] = name;
        for (var t = 0; t < targets.Length; t++)
        {
            var prefix = $"Gateway:Models:{index}:Targets:{t}:";
            settings[prefix + "Provider"] = targets[t].Provider;
            settings[prefix + "Model"] = targets[t].Model;
            settings[prefix + "Priority"] = targets[t].Priority.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}

/// <summary>Audit batches as the bus would receive them.</summary>
internal sealed class CapturedAudit : IAuditTransport
{
    private readonly Lock _gate = new();
    private readonly List<AuditEvent> _events = [];

    public IReadOnlyList<AuditEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    public Task PublishAsync(AuditEventBatch batch, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _events.AddRange(batch.Events);
        }

        return Task.CompletedTask;
    }
}
