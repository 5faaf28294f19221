using CsCheck;
using Gateway.Contracts.Configuration;

namespace Gateway.Contracts.Tests.Configuration;

/// <summary>Generators of gateway configurations that satisfy every rule, and one fixed example to break rule by rule.</summary>
internal static class ValidGatewayConfigurations
{
    private static readonly Gen<string> Word = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789_-"], 1, 12];

    private static readonly Gen<string> Glob = Gen.String[Gen.Char["abcxyz_-./:*?"], 1, 20];

    private static readonly Gen<TimeSpan> BreakDuration = Gen.Long[5_000_000, TimeSpan.TicksPerDay / 2].Select(t => new TimeSpan(t));

    private static readonly Gen<CircuitBreakerOptions> Breaker =
        Gen.Select(Gen.Int[1, 10_000], Gen.Double[0.01, 1.0], Gen.Int[1, 1_000_000], BreakDuration, BreakDuration, Gen.Double[1.0, 100.0])
            .Select((failures, ratio, throughput, sampling, breakDuration, growth) => new CircuitBreakerOptions
            {
                ConsecutiveFailures = failures,
                FailureRatio = ratio,
                MinimumThroughput = throughput,
                SamplingDuration = sampling,
                BreakDuration = breakDuration,
                BreakDurationGrowth = growth,
                // Both set, so the pair is coherent whatever the gateway-wide defaults say.
                MaxBreakDuration = breakDuration * 2,
                ProbeWaitTimeout = TimeSpan.FromSeconds(10),
            });

    private static readonly Gen<TimeSpan> CallTimeout = Gen.Int[10, 3_600_000].Select(ms => TimeSpan.FromMilliseconds(ms));

    private static readonly Gen<(string, bool, int, TimeSpan, CircuitBreakerOptions?)> BackendSeed =
        Gen.Select(Word, Gen.Bool, Gen.Int[1, 65_535], CallTimeout, Breaker.Null());

    private static BackendOptions Backend(int index, (string, bool, int, TimeSpan, CircuitBreakerOptions?) seed)
    {
        var (suffix, http, port, timeout, breaker) = seed;
        return http
            ? new BackendOptions
            {
                Name = $"b{index}-{suffix}", Url = new Uri($"http://127.0.0.1:{port}/{suffix}"), Timeout = timeout, CircuitBreaker = breaker,
            }
            : new BackendOptions
            {
                Name = $"b{index}-{suffix}", Transport = BackendTransport.Stdio, Command = suffix, Args = [suffix], Timeout = timeout,
                CircuitBreaker = breaker,
            };
    }

    private static readonly Gen<(string, int, TimeSpan)> ProviderSeed = Gen.Select(Word, Gen.Int[1, 65_535], CallTimeout);

    private static ProviderOptions Provider(int index, (string Suffix, int Port, TimeSpan Timeout) seed) => new()
    {
        Name = $"p{index}-{seed.Suffix}", BaseUrl = new Uri($"https://llm{index}.example:{seed.Port}/v1/"),
        Timeout = seed.Timeout,
    };

    /// <summary>Up to <paramref name="max"/> items, each made from its index (so names stay unique) and one generated value.</summary>
    private static Gen<List<T>> Indexed<T, TSeed>(Gen<TSeed> seed, Func<int, TSeed, T> item, int max) =>
        seed.List[0, max].Select(seeds => seeds.Select((s, i) => item(i, s)).ToList());

    private static readonly Gen<Dictionary<string, RoleOptions>> Roles =
        Gen.Int[0, 4].SelectMany(count => Glob.List[0, 4].Array[count].Select(globs => globs
            .Select((patterns, i) => (Name: $"role-{i}", Role: new RoleOptions { Tools = patterns, Resources = ["*"], Prompts = [] }))
            .ToDictionary(r => r.Name, r => r.Role, StringComparer.Ordinal)));

    private static Gen<List<ClientOptions>> Clients(IReadOnlyList<string> roles) =>
        Gen.Int[0, 5].SelectMany(count => Gen.OneOf([.. roles]).List[0, 3].Array[count].Select(roleLists => roleLists
            .Select((clientRoles, i) => new ClientOptions
            {
                Id = $"client-{i}@team", KeySha256 = Convert.ToHexStringLower(BitConverter.GetBytes((long)i)).PadLeft(64, 'a'), Roles = clientRoles,
            })
            .ToList()));

    public static readonly Gen<GatewayOptions> Any =
        Gen.Select(Indexed(BackendSeed, Backend, 6), Indexed(ProviderSeed, Provider, 3), Roles, Breaker, Gen.Bool)
            .SelectMany((backends, providers, roles, breaker, anonymous) =>
                Clients([.. roles.Keys, .. GatewayOptions.BuiltInRoles]).Select(clients => new GatewayOptions
                {
                    Backends = backends,
                    Providers = providers,
                    Models = [.. providers.Select(p => new ModelOptions { Name = "m-" + p.Name, Targets = [new ModelTargetOptions { Provider = p.Name }] })],
                    Roles = roles,
                    Clients = clients,
                    CircuitBreaker = breaker,
                    AnonymousClientId = anonymous ? "anonymous" : null,
                    AnonymousRoles = anonymous ? ["auditor"] : [],
                }));

    /// <summary>A small configuration with one of everything, valid as it stands.</summary>
    public static GatewayOptions Example() => new()
    {
        Backends =
        [
            new BackendOptions { Name = "alpha", Url = new Uri("http://127.0.0.1:5001/mcp") },
            new BackendOptions { Name = "local", Transport = BackendTransport.Stdio, Command = "node" },
            new BackendOptions { Name = "beta", Url = new Uri("https://beta.example/mcp"), CircuitBreaker = new CircuitBreakerOptions() },
        ],
        Providers = [new ProviderOptions { Name = "openai", BaseUrl = new Uri("https://api.openai.example/v1/") }],
        Models = [new ModelOptions { Name = "gpt", Targets = [new ModelTargetOptions { Provider = "openai" }] }],
        Roles = new(StringComparer.Ordinal) { ["user"] = new RoleOptions { Tools = ["alpha_*", "search"], Resources = ["*"] } },
        Clients =
        [
            new ClientOptions { Id = "agent-1", KeySha256 = new string('a', 64), Roles = ["user"] },
            new ClientOptions { Id = "ops", KeySha256 = new string('b', 64), Roles = ["admin"] },
        ],
    };
}
