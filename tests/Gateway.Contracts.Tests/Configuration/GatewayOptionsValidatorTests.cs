using CsCheck;
using Gateway.Contracts.Configuration;

namespace Gateway.Contracts.Tests.Configuration;

public sealed class GatewayOptionsValidatorTests
{
    private readonly GatewayOptionsValidator _validator = new();

    [Fact]
    public void Generated_valid_configurations_pass() =>
        ValidGatewayConfigurations.Any.Sample(options =>
        {
            var result = _validator.Validate(null, options);
            Assert.True(result.Succeeded, result.FailureMessage);
        });

    [Fact]
    public void The_default_configuration_passes() => Assert.True(_validator.Validate(null, new GatewayOptions()).Succeeded);

    [Fact]
    public void A_break_duration_out_of_range_is_reported_at_its_backend_whichever_it_is() =>
        ValidGatewayConfigurations.Any.Where(o => o.Backends.Count > 0)
            .SelectMany(o => Gen.Int[0, o.Backends.Count - 1].Select(i => (Options: o, Index: i)))
            .Sample(c =>
            {
                c.Options.Backends[c.Index].CircuitBreaker = new CircuitBreakerOptions { BreakDuration = TimeSpan.FromMilliseconds(100) };
                var result = _validator.Validate(null, c.Options);
                Assert.Contains(result.Failures!, f => f.Contains($"Gateway.Backends[{c.Index}].CircuitBreaker.BreakDuration", StringComparison.Ordinal));
            });

    public static TheoryData<string, string> BrokenRules => new()
    {
        { "backend name malformed", "Gateway.Backends[0].Name" },
        { "backend name repeated", "Gateway.Backends[2].Name" },
        { "http backend without url", "Gateway.Backends[0].Url" },
        { "backend url relative", "Gateway.Backends[0].Url" },
        { "backend url not http", "Gateway.Backends[0].Url" },
        { "stdio backend without command", "Gateway.Backends[1].Command" },
        { "backend timeout too short", "Gateway.Backends[0].Timeout" },
        { "backend health path relative", "Gateway.Backends[0].HealthPath" },
        { "backend transport unknown", "Gateway.Backends[0].Transport" },
        { "backend break duration over a day", "Gateway.Backends[2].CircuitBreaker.BreakDuration" },
        { "backend max break shorter than the default break", "Gateway.Backends[2].CircuitBreaker.MaxBreakDuration" },
        { "breaker sampling duration too short", "Gateway.CircuitBreaker.SamplingDuration" },
        { "breaker failure ratio over one", "Gateway.CircuitBreaker.FailureRatio" },
        { "breaker probe wait zero", "Gateway.CircuitBreaker.ProbeWaitTimeout" },
        { "provider without base url", "Gateway.Providers[0].BaseUrl" },
        { "provider base url not http", "Gateway.Providers[0].BaseUrl" },
        { "provider timeout over an hour", "Gateway.Providers[0].Timeout" },
        { "provider named like a backend", "Gateway.Providers[0].Name" },
        { "provider probe path absolute", "Gateway.Providers[0].ProbePath" },
        { "model without targets", "Gateway.Models[0].Targets" },
        { "model target names no provider", "Gateway.Models[0].Targets[0].Provider" },
        { "model name with spaces", "Gateway.Models[0].Name" },
        { "model target weight zero", "Gateway.Models[0].Targets[0].Weight" },
        { "role model glob empty", "Gateway.Roles[user].Models[0]" },
        { "token budget zero", "Gateway.RateLimits.ClientTokensPerMinute" },
        { "client id repeated", "Gateway.Clients[1].Id" },
        { "client id with spaces", "Gateway.Clients[0].Id" },
        { "client key not 64 hex", "Gateway.Clients[0].KeySha256" },
        { "client key repeated", "Gateway.Clients[1].KeySha256" },
        { "client role undefined", "Gateway.Clients[0].Roles[0]" },
        { "anonymous role undefined", "Gateway.AnonymousRoles[0]" },
        { "role name malformed", "Gateway.Roles[bad role]" },
        { "role glob with whitespace", "Gateway.Roles[user].Tools[1]" },
        { "rate limit zero", "Gateway.RateLimits.ClientPerSecond" },
        { "burst zero", "Gateway.RateLimits.ToolBurst" },
    };

    [Theory]
    [MemberData(nameof(BrokenRules))]
    public void Each_broken_rule_is_reported_with_its_path(string rule, string path)
    {
        var options = ValidGatewayConfigurations.Example();
        Break(options, rule);

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed, rule);
        Assert.Contains(result.Failures, f => f.Contains(path, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_error_is_reported_at_once_not_only_the_first()
    {
        var options = ValidGatewayConfigurations.Example();
        Break(options, "http backend without url");
        Break(options, "client role undefined");
        Break(options, "rate limit zero");

        Assert.Equal(3, _validator.Validate(null, options).Failures!.Count());
    }

    private static void Break(GatewayOptions options, string rule)
    {
        var alpha = options.Backends[0];
        var beta = options.Backends[2];
        Action change = rule switch
        {
            "backend name malformed" => () => alpha.Name = "alpha beta",
            "backend name repeated" => () => beta.Name = "ALPHA",
            "http backend without url" => () => alpha.Url = null,
            "backend url relative" => () => alpha.Url = new Uri("/mcp", UriKind.Relative),
            "backend url not http" => () => alpha.Url = new Uri("ftp://host/mcp"),
            "stdio backend without command" => () => options.Backends[1].Command = " ",
            "backend timeout too short" => () => alpha.Timeout = TimeSpan.FromMilliseconds(1),
            "backend health path relative" => () => alpha.HealthPath = "health",
            "backend transport unknown" => () => alpha.Transport = (BackendTransport)7,
            "backend break duration over a day" => () => beta.CircuitBreaker!.BreakDuration = TimeSpan.FromDays(2),
            "backend max break shorter than the default break" => () => beta.CircuitBreaker!.MaxBreakDuration = TimeSpan.FromSeconds(1),
            "breaker sampling duration too short" => () => options.CircuitBreaker.SamplingDuration = TimeSpan.FromMilliseconds(499),
            "breaker failure ratio over one" => () => options.CircuitBreaker.FailureRatio = 1.5,
            "breaker probe wait zero" => () => options.CircuitBreaker.ProbeWaitTimeout = TimeSpan.Zero,
            "provider without base url" => () => options.Providers[0].BaseUrl = null,
            "provider base url not http" => () => options.Providers[0].BaseUrl = new Uri("file:///v1"),
            "provider timeout over an hour" => () => options.Providers[0].Timeout = TimeSpan.FromHours(2),
            "provider named like a backend" => () => options.Providers[0].Name = "Alpha",
            "provider probe path absolute" => () => options.Providers[0].ProbePath = "/models",
            "model without targets" => () => options.Models[0].Targets.Clear(),
            "model target names no provider" => () => options.Models[0].Targets[0].Provider = "nobody",
            "model name with spaces" => () => options.Models[0].Name = "gpt 4",
            "model target weight zero" => () => options.Models[0].Targets[0].Weight = 0,
            "role model glob empty" => () => options.Roles["user"].Models = [""],
            "token budget zero" => () => options.RateLimits.ClientTokensPerMinute = 0,
            "client id repeated" => () => options.Clients[1].Id = options.Clients[0].Id,
            "client id with spaces" => () => options.Clients[0].Id = "agent one",
            "client key not 64 hex" => () => options.Clients[0].KeySha256 = new string('A', 64),
            "client key repeated" => () => options.Clients[1].KeySha256 = options.Clients[0].KeySha256,
            "client role undefined" => () => options.Clients[0].Roles = ["users"],
            "anonymous role undefined" => () => options.AnonymousRoles = ["guests"],
            "role name malformed" => () => options.Roles["bad role"] = new RoleOptions(),
            "role glob with whitespace" => () => options.Roles["user"].Tools[1] = "search tool",
            "rate limit zero" => () => options.RateLimits.ClientPerSecond = 0,
            "burst zero" => () => options.RateLimits.ToolBurst = 0,
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, null),
        };
        change();
    }
}
