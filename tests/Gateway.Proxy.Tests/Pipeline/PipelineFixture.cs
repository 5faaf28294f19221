using System.Text.Json;
using Gateway.Contracts.Configuration;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Circuit;
using Gateway.Proxy.Pipeline;
using Gateway.Proxy.Pipeline.Access;
using Gateway.Proxy.Pipeline.KillSwitches;
using Gateway.Proxy.Pipeline.RateLimiting;
using Gateway.Proxy.Pipeline.Shutdown;
using Gateway.Proxy.Pipeline.TokenBudgets;
using Gateway.Proxy.Mcp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Proxy.Tests.Pipeline;

/// <summary>
/// A <see cref="CallPipeline"/> assembled from its real stages on a virtual clock, with the in-memory kill-switch
/// store and no Redis or bus. Audit events are read straight from the buffer the publisher would drain.
/// </summary>
internal sealed class PipelineFixture : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly string _spillDirectory = Path.Combine(Path.GetTempPath(), "gateway-tests", Guid.NewGuid().ToString("N"));

    /// <param name="spillLimitBytes">The audit spill folder's bound (<see cref="AuditOptions.SpillLimitBytes"/>).</param>
    public PipelineFixture(Action<GatewayOptions>? configure = null, long spillLimitBytes = long.MaxValue)
    {
        var options = new GatewayOptions
        {
            Backends = [new BackendOptions { Name = "alpha", Timeout = TimeSpan.FromSeconds(2) }],
            Roles =
            {
                ["reader"] = new RoleOptions { Tools = ["read_*", "echo"], Resources = ["file:///docs/*"], Prompts = ["summarize"] },
            },
        };
        configure?.Invoke(options);
        Options = new TestOptionsMonitor<GatewayOptions>(options);

        Spill = new AuditSpillFile(_spillDirectory, "test", Time, spillLimitBytes);
        Buffer = new AuditBuffer(1024, Spill);
        var audit = Audit = new AuditRecorder(Buffer, Options, new AuditSource("proxy/test", "test"), Time, NullLogger<AuditRecorder>.Instance);
        KillSwitches = new KillSwitchState(
            Store, new KillSwitchReassertion(Store, audit, NullLogger<KillSwitchReassertion>.Instance), Microsoft.Extensions.Options.Options.Create(new KillSwitchOptions()), Time, NullLogger<KillSwitchState>.Instance);
        Commands = new KillSwitchCommands(Store, KillSwitches, audit, Time, NullLogger<KillSwitchCommands>.Instance);
        RateLimiter = new CallRateLimiter(Options, Microsoft.Extensions.Options.Options.Create(new RateLimitingOptions()), Time, NullLogger<CallRateLimiter>.Instance);
        Access = new AccessPolicy(Options);
        // The registry belongs to the circuit capability; let DI build it from whatever it needs of these.
        _services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(Time)
            .AddSingleton<IOptionsMonitor<GatewayOptions>>(Options)
            .AddSingleton<CircuitBreakerRegistry>()
            .BuildServiceProvider();
        Circuits = _services.GetRequiredService<CircuitBreakerRegistry>();
        Tokens = new TokenBudget(Options, Time, NullLogger<TokenBudget>.Instance);
        Stages = new PolicyStages(KillSwitches, RateLimiter, Tokens, Access, Policies);
        Pipeline = new CallPipeline(Stages, Circuits, audit, InFlight, Options, Time);
    }

    public CircuitBreakerRegistry Circuits { get; }

    public TestOptionsMonitor<PolicyOptions> Policies { get; } = new(new PolicyOptions());

    public TokenBudget Tokens { get; }

    public PolicyStages Stages { get; }

    public FakeTimeProvider Time { get; } = new();

    public AuditRecorder Audit { get; }

    public TestOptionsMonitor<GatewayOptions> Options { get; }

    public InMemoryKillSwitchStore Store { get; } = new();

    public KillSwitchState KillSwitches { get; }

    public KillSwitchCommands Commands { get; }

    public CallRateLimiter RateLimiter { get; }

    public AccessPolicy Access { get; }

    public InFlightCalls InFlight { get; } = new();

    public AuditSpillFile Spill { get; }

    public AuditBuffer Buffer { get; }

    public CallPipeline Pipeline { get; }

    public static ClientIdentity Reader { get; } = new("app-1", ["reader"], IsAnonymous: false);

    /// <param name="backend">The owning backend; null for a name no backend offers.</param>
    public static CallContext ToolCall(string tool, ClientIdentity? client = null, string? arguments = null, string? backend = "alpha") => new()
    {
        Method = "tools/call",
        Client = client ?? Reader,
        Target = tool,
        TargetKind = CatalogItemKind.Tool,
        Backend = backend,
        RequestId = "7",
        SessionId = "session-1",
        Arguments = arguments is null ? null : JsonDocument.Parse(arguments).RootElement.Clone(),
    };

    /// <summary>Every audit event recorded so far, oldest first.</summary>
    public List<AuditEvent> DrainAudit()
    {
        var events = new List<AuditEvent>();
        while (Buffer.Reader.TryRead(out var queued))
        {
            events.Add(queued.Event);
        }

        return events;
    }

    public void Dispose()
    {
        Pipeline.Dispose();
        RateLimiter.Dispose();
        Tokens.Dispose();
        Access.Dispose();
        KillSwitches.Dispose();
        Spill.Dispose();
        _services.Dispose();
        Directory.Delete(_spillDirectory, recursive: true);
    }
}

/// <summary>A backend that counts its invocations and answers what the test tells it to.</summary>
internal sealed class CountingBackend(Func<CancellationToken, ValueTask<BackendResult>>? answer = null)
{
    public static readonly ReadOnlyMemory<byte> OkResponse = """{"content":[{"type":"text","text":"hi"}]}"""u8.ToArray();

    private int _calls;

    public int Calls => _calls;

    public ValueTask<BackendResult> InvokeAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return answer is null
            ? ValueTask.FromResult(new BackendResult(OkResponse, IsError: false, ErrorCode: null, BackendFailed: false))
            : answer(cancellationToken);
    }
}

/// <summary>An options monitor whose value a test can replace, firing change callbacks like a configuration reload.</summary>
internal sealed class TestOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    private readonly List<Action<T, string?>> _listeners = [];

    public T CurrentValue { get; private set; } = value;

    public T Get(string? name) => CurrentValue;

    public void Set(T value)
    {
        CurrentValue = value;
        foreach (var listener in _listeners.ToArray())
        {
            listener(value, Microsoft.Extensions.Options.Options.DefaultName);
        }
    }

    public IDisposable? OnChange(Action<T, string?> listener)
    {
        _listeners.Add(listener);
        return new Subscription(() => _listeners.Remove(listener));
    }

    private sealed class Subscription(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
