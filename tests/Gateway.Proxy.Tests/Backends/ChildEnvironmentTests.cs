using CsCheck;
using Gateway.Proxy.Backends;

namespace Gateway.Proxy.Tests.Backends;

/// <summary>What a stdio backend sees of the proxy's environment: an allow-list, never the proxy's secrets.</summary>
public sealed class ChildEnvironmentTests
{
    private static readonly Dictionary<string, string?> s_proxy = new(StringComparer.Ordinal)
    {
        ["ConnectionStrings__messaging"] = "amqp://guest:s3cret@localhost:5672/",
        ["ConnectionStrings__redis"] = "localhost:6379,password=s3cret",
        ["Credentials__weather"] = "backend-secret",
        ["Gateway__AdminKey"] = "admin-secret",
        ["OTEL_EXPORTER_OTLP_HEADERS"] = "x-otlp-api-key=secret",
        ["DOTNET_GCgen0size"] = "0x2000000",
        ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1",
        ["GITHUB_TOKEN"] = "ghp_example",
        ["PATH"] = "/usr/bin",
        ["HOME"] = "/home/gw",
        ["LANG"] = "C.UTF-8",
        ["LC_ALL"] = "C.UTF-8",
        ["TMPDIR"] = "/tmp",
    };

    [Fact]
    public void A_backend_gets_what_a_process_needs_to_run_and_none_of_the_proxys_connection_strings_or_secrets()
    {
        var environment = new Dictionary<string, string?>(s_proxy, StringComparer.Ordinal);

        ChildEnvironment.Apply(environment, new Dictionary<string, string>(), []);

        Assert.Equal(["HOME", "LANG", "LC_ALL", "PATH", "TMPDIR"], environment.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_backend_sees_the_proxy_variables_it_names_in_inherit_env_and_its_own_env_wins()
    {
        var environment = new Dictionary<string, string?>(s_proxy, StringComparer.Ordinal);

        ChildEnvironment.Apply(environment, new Dictionary<string, string> { ["HOME"] = "/srv", ["MODE"] = "demo" }, ["GITHUB_TOKEN"]);

        Assert.Equal("ghp_example", environment["GITHUB_TOKEN"]);
        Assert.Equal("/srv", environment["HOME"]);
        Assert.Equal("demo", environment["MODE"]);
        Assert.DoesNotContain("ConnectionStrings__messaging", environment.Keys);
    }

    [Fact]
    public void No_variable_outside_the_allow_list_ever_reaches_a_backend()
    {
        var names = Gen.String[Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz0123456789"], 1, 24];
        Gen.Dictionary(names, Gen.String)[0, 30].Sample(generated =>
        {
            var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var (name, value) in generated)
            {
                environment[name] = value;
            }

            ChildEnvironment.Apply(environment, new Dictionary<string, string>(), []);

            return environment.Keys.All(name => name.StartsWith("LC_", StringComparison.Ordinal) || IsBasic(name));
        });
    }

    private static bool IsBasic(string name) => new[]
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "TERM", "DOTNET_ROOT", "SystemRoot",
        "SystemDrive", "windir", "ComSpec", "PATHEXT", "USERPROFILE", "APPDATA", "LOCALAPPDATA", "ProgramData", "ProgramFiles",
        "ProgramFiles(x86)", "CommonProgramFiles", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE",
    }.Contains(name, StringComparer.OrdinalIgnoreCase);
}
