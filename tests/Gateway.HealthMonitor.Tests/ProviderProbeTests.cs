using System.Net;
using System.Net.Sockets;
using CsCheck;
using Gateway.Contracts.Circuit;
using Gateway.Contracts.Configuration;
using Gateway.Contracts.Messages;
using Gateway.HealthMonitor.Breakers;
using Gateway.HealthMonitor.Leadership;
using Gateway.HealthMonitor.Monitoring;
using Gateway.HealthMonitor.Probes;
using Gateway.HealthMonitor.Tests.Fixtures;
using Gateway.HealthMonitor.Transitions;
using Gateway.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.HealthMonitor.Tests;

/// <summary>
/// Active probes of LLM providers against a provider on loopback: what the probe sends, how answers count, and how the
/// results drive the authoritative breaker on virtual time.
/// </summary>
public sealed class ProviderProbeTests : IAsyncLifetime, IDisposable
{
    private const string KeySetting = "Providers:primary:ApiKey";
    private const string Key = "sk-test-0123456789";

    private readonly FakeTimeProvider _time = new();
    private readonly LeadershipState _leadership = new("monitor-test");
    private readonly PendingTransitions _pending = new();
    private readonly IConfigurationRoot _configuration = new ConfigurationBuilder().AddInMemoryCollection([new(KeySetting, Key)]).Build();
    private readonly ServiceProvider _services;
    private readonly HealthMonitorOptions _monitorOptions = new() { ProbeTimeout = TimeSpan.FromSeconds(2), UnhealthyThreshold = 3, HealthyThreshold = 2 };
    private ProviderStub _stub = null!;
    private AuthoritativeBreakers _breakers = null!;
    private ProbeScheduler _scheduler = null!;

    public ProviderProbeTests()
    {
        var services = new ServiceCollection();
        services.AddHttpClient(ProbeScheduler.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.AddHttpClient(ProviderProbe.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        _services = services.BuildServiceProvider();
    }

    public async Task InitializeAsync()
    {
        _stub = await ProviderStub.StartAsync();
        var gateway = new GatewayOptions
        {
            Providers = [Provider("primary", ProviderKind.OpenAI), Provider("claude", ProviderKind.Anthropic)],
            CircuitBreaker = new CircuitBreakerOptions { ConsecutiveFailures = 5, BreakDuration = TimeSpan.FromSeconds(10) },
        };
        _breakers = new AuthoritativeBreakers(
            new StaticOptionsMonitor<GatewayOptions>(gateway), Options.Create(_monitorOptions), _leadership, _pending, _time);
        _leadership.Set(true, _time.GetUtcNow());
        _scheduler = CreateScheduler(_breakers);
    }

    public async Task DisposeAsync() => await _stub.DisposeAsync();

    public void Dispose()
    {
        _scheduler.Dispose();
        _breakers.Dispose();
        _services.Dispose();
    }

    [Fact]
    public async Task An_openai_provider_is_probed_with_get_models_under_its_base_url_and_a_bearer_key()
    {
        var result = await Probe(Provider("primary", ProviderKind.OpenAI));

        Assert.True(result.Success, result.Error);
        var request = Assert.Single(_stub.Requests);
        Assert.Equal("/v1/models", request.Path);
        Assert.Equal("Bearer " + Key, request.Headers["Authorization"]);
        Assert.False(request.Headers.ContainsKey("x-api-key"));
    }

    [Fact]
    public async Task An_anthropic_provider_is_probed_with_x_api_key_and_an_api_version_and_no_bearer()
    {
        var result = await Probe(Provider("claude", ProviderKind.Anthropic));

        Assert.True(result.Success, result.Error);
        var request = Assert.Single(_stub.Requests);
        Assert.Equal(Key, request.Headers["x-api-key"]);
        Assert.Equal(ProviderProbe.AnthropicVersion, request.Headers["anthropic-version"]);
        Assert.False(request.Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task The_key_is_read_at_each_probe_so_a_rotated_key_is_used_without_a_restart()
    {
        await Probe(Provider("primary", ProviderKind.OpenAI));
        _configuration[KeySetting] = "sk-rotated";

        await Probe(Provider("primary", ProviderKind.OpenAI));

        Assert.Equal(["Bearer " + Key, "Bearer sk-rotated"], _stub.Requests.Select(r => r.Headers["Authorization"]));
    }

    [Fact]
    public async Task A_configured_probe_path_replaces_models()
    {
        var provider = Provider("primary", ProviderKind.OpenAI);
        provider.ProbePath = "health/ready?deep=false";

        await Probe(provider);

        Assert.Equal("/v1/health/ready", Assert.Single(_stub.Requests).Path);
    }

    [Theory]
    [InlineData(HttpStatusCode.OK, true)]
    [InlineData(HttpStatusCode.NoContent, true)]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.InternalServerError, false)]
    [InlineData(HttpStatusCode.BadGateway, false)]
    [InlineData(HttpStatusCode.ServiceUnavailable, false)]
    [InlineData(HttpStatusCode.NotFound, false)]
    public async Task Two_hundreds_and_429_mean_up_and_other_answers_are_failures_naming_the_status(HttpStatusCode status, bool up)
    {
        _stub.Status = status;

        var result = await Probe(Provider("primary", ProviderKind.OpenAI));

        Assert.Equal(up, result.Success);
        if (!up)
        {
            Assert.Equal($"GET models answered {(int)status}", result.Error);
        }
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    public async Task A_refused_key_is_a_failure_that_names_the_setting_and_never_the_key(HttpStatusCode status)
    {
        _stub.Status = status;

        var result = await Probe(Provider("primary", ProviderKind.OpenAI));

        Assert.False(result.Success);
        Assert.Contains($"'{KeySetting}' (misconfigured key)", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_setting_with_no_value_sends_no_key_and_says_the_setting_is_empty()
    {
        _stub.Status = HttpStatusCode.Unauthorized;
        var provider = Provider("primary", ProviderKind.OpenAI);
        provider.ApiKeySetting = "Providers:nowhere:ApiKey";

        var result = await Probe(provider);

        Assert.False(Assert.Single(_stub.Requests).Headers.ContainsKey("Authorization"));
        Assert.Contains("'Providers:nowhere:ApiKey' is empty", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failing_probes_turn_a_provider_unhealthy_and_open_its_circuit_then_one_probe_closes_it_once_healed()
    {
        _stub.Status = HttpStatusCode.ServiceUnavailable;
        for (var i = 0; i < _monitorOptions.UnhealthyThreshold; i++)
        {
            await _scheduler.ProbeAllAsync(CancellationToken.None);
        }

        var opened = Drain();
        Assert.Contains(new BackendHealthChanged(0, "primary", false, "probe: GET models answered 503", _time.GetUtcNow()), opened);
        Assert.Contains(opened, d => d is CircuitStateChanged { Backend: "primary", State: CircuitState.Open });
        Assert.Equal(CircuitState.Open, State("primary"));

        _time.Advance(TimeSpan.FromSeconds(10));
        _breakers.Tick();
        Assert.Equal(CircuitState.HalfOpen, State("primary"));
        _stub.Status = HttpStatusCode.OK;
        await _scheduler.ProbeAllAsync(CancellationToken.None);

        Assert.Equal(CircuitState.Closed, State("primary"));
        Assert.Contains(Drain(), d => d is CircuitStateChanged { Backend: "primary", State: CircuitState.Closed, Reason: CircuitBreakerStateMachine.ProbeSucceededReason });
    }

    [Fact]
    public async Task A_provider_answering_429_stays_closed_and_healthy()
    {
        _stub.Status = HttpStatusCode.TooManyRequests;
        for (var i = 0; i < _monitorOptions.UnhealthyThreshold + _monitorOptions.HealthyThreshold; i++)
        {
            await _scheduler.ProbeAllAsync(CancellationToken.None);
        }

        Assert.DoesNotContain(Drain(), d => d is CircuitStateChanged or BackendHealthChanged { Healthy: false });
        Assert.True(_breakers.TryGet("primary", out var primary));
        Assert.Equal((true, CircuitState.Closed), (primary.Healthy, primary.Machine.State));
    }

    [Fact]
    public async Task A_provider_that_never_answers_fails_its_probe_when_the_probe_timeout_passes()
    {
        _stub.Hanging = true;
        var probing = _scheduler.ProbeAllAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => Task.FromResult(_stub.Requests.Count == 2), what: "both providers probed");
        Assert.False(probing.IsCompleted);

        _time.Advance(_monitorOptions.ProbeTimeout);
        await probing;

        Assert.True(_breakers.TryGet("primary", out var primary));
        Assert.Equal((1, "timeout after 2000 ms"), (primary.ConsecutiveProbeFailures, primary.LastProbeError));
    }

    [Fact]
    public async Task A_provider_nobody_listens_for_fails_its_probe_with_the_connection_error()
    {
        var gone = Provider("primary", ProviderKind.OpenAI);
        gone.BaseUrl = new Uri($"http://127.0.0.1:{ClosedPort()}/v1");
        using var breakers = new AuthoritativeBreakers(
            new StaticOptionsMonitor<GatewayOptions>(new GatewayOptions { Providers = [gone] }), Options.Create(_monitorOptions), _leadership, _pending, _time);
        using var scheduler = CreateScheduler(breakers);

        await scheduler.ProbeAllAsync(CancellationToken.None);

        Assert.True(breakers.TryGet("primary", out var primary));
        Assert.Equal(1, primary.ConsecutiveProbeFailures);
        Assert.Contains("refused", primary.LastProbeError, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("https://api.example.com/v1", "https://api.example.com/v1/models")]
    [InlineData("https://api.example.com/v1/", "https://api.example.com/v1/models")]
    [InlineData("http://127.0.0.1:8080/openai/v1", "http://127.0.0.1:8080/openai/v1/models")]
    public void The_probe_path_goes_after_the_base_urls_last_segment(string baseUrl, string expected) =>
        Assert.Equal(new Uri(expected), ProviderProbe.Target(new ProviderOptions { Name = "p", BaseUrl = new Uri(baseUrl) }));

    [Fact]
    public void Any_status_counts_as_up_exactly_when_it_is_2xx_or_429() =>
        Gen.Int[100, 599].Sample(code =>
            ProviderProbe.Evaluate(Provider("primary", ProviderKind.OpenAI), (HttpStatusCode)code, keyMissing: false).Success
                == (code is >= 200 and <= 299 or 429));

    private ProviderOptions Provider(string name, ProviderKind kind) =>
        new() { Name = name, Kind = kind, BaseUrl = _stub.BaseUrl, ApiKeySetting = KeySetting };

    private ProbeScheduler CreateScheduler(AuthoritativeBreakers breakers)
    {
        var factory = _services.GetRequiredService<IHttpClientFactory>();
        return new ProbeScheduler(
            breakers, _leadership, new McpPingProbe(factory), new HealthPathProbe(factory), new ProviderProbe(factory, _configuration),
            Options.Create(_monitorOptions), _time);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task<ProbeResult> Probe(ProviderOptions provider) =>
        new ProviderProbe(_services.GetRequiredService<IHttpClientFactory>(), _configuration).ProbeAsync(provider, CancellationToken.None);

    private CircuitState State(string name) => _breakers.TryGet(name, out var target) ? target.Machine.State : throw new KeyNotFoundException(name);

    private List<object> Drain()
    {
        var drained = new List<object>();
        while (_pending.Reader.TryRead(out var pending))
        {
            drained.Add(pending switch
            {
                PendingCircuitChange circuit => circuit.Change,
                PendingHealthChange health => health.Change,
                _ => throw new InvalidOperationException("unexpected transition"),
            });
        }

        return drained;
    }
}
