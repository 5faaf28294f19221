using System.Globalization;
using System.Text.Json.Nodes;
using Gateway.AppHost.Hosting;

namespace Gateway.AppHost.Resources;

public static class RabbitMqResourceExtensions
{
    /// <summary>Default location of Debian's RabbitMQ start script (not /usr/sbin/rabbitmq-server, which switches user).</summary>
    public const string DefaultServerPath = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    // epmd is started here in the foreground, inside the resource's process group, on a private port: left to
    // itself RabbitMQ would start a daemonised epmd that escapes the group and outlives the AppHost.
    private const string Launcher = """
        epmd -port "$ERL_EPMD_PORT" -address 127.0.0.1 &
        for _ in $(seq 100); do epmd -port "$ERL_EPMD_PORT" -names >/dev/null 2>&1 && break; sleep 0.1; done
        exec "$1"
        """;

    /// <summary>
    /// A private RabbitMQ node from the machine's <c>rabbitmq-server</c> (path in <c>AppHost:RabbitMq:ServerPath</c>),
    /// with its data, logs, cookie and Erlang distribution under the run folder and on loopback only. Healthy when
    /// it answers AMQP. Connection string <c>amqp://guest:guest@127.0.0.1:{port}/</c>. Published as the RabbitMQ
    /// container image with a generated password.
    /// </summary>
    public static ResourceBuilder AddRabbitMQ(this DistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var server = builder.Configuration["AppHost:RabbitMq:ServerPath"] ?? DefaultServerPath;
        var resource = builder.AddResource(name, ResourceKind.Container)
            .WithTcpEndpoint()
            .WithTcpEndpoint("dist")
            .WithTcpEndpoint("epmd")
            .WithHealthCheck(new AmqpHealthCheck("tcp"))
            .WithConnectionString(context => $"amqp://guest:guest@127.0.0.1:{context.Port("tcp")}/")
            .WithPrerequisite(
                () => File.Exists(server),
                $"RabbitMQ is not installed ({server} not found): run `sudo apt-get install -y rabbitmq-server`, or `./gateway up`, which installs it.")
            .WithPrerequisite(
                () => DotNetHost.IsOnPath("epmd"),
                "Erlang's epmd is not on PATH: run `sudo apt-get install -y rabbitmq-server` (it brings Erlang), or `./gateway up`.")
            .WithBeforeStart((context, _) => WriteNodeFilesAsync(context))
            .WithLaunch(new ProcessLaunch("bash", _ => ["-c", Launcher, "rabbitmq", server]))
            .WithEnvironment(context =>
            {
                var data = context.Context.DataDirectory;
                var port = context.Context.Port("tcp").ToString(CultureInfo.InvariantCulture);
                var variables = context.Variables;
                variables["RABBITMQ_NODENAME"] = $"gateway-{port}@localhost";
                variables["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
                variables["RABBITMQ_NODE_PORT"] = port;
                variables["RABBITMQ_DIST_PORT"] = context.Context.Port("dist").ToString(CultureInfo.InvariantCulture);
                variables["ERL_EPMD_PORT"] = context.Context.Port("epmd").ToString(CultureInfo.InvariantCulture);
                variables["RABBITMQ_MNESIA_BASE"] = Path.Combine(data, "mnesia");
                variables["RABBITMQ_LOG_BASE"] = Path.Combine(data, "log");
                variables["RABBITMQ_LOGS"] = "-";
                variables["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(data, "enabled_plugins");
                variables["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(data, "rabbitmq-env.conf");
                variables["RABBITMQ_CONFIG_FILE"] = Path.Combine(data, "rabbitmq.conf");
                variables["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(data, "advanced.config");
                variables["RABBITMQ_PID_FILE"] = Path.Combine(data, "rabbitmq.pid");
                // The Erlang cookie lives in $HOME; the node and any rabbitmqctl pointed at it share it.
                variables["HOME"] = data;
                variables["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}";
            });
        return resource.WithManifest(context =>
        {
            var password = context.Parameter($"{name}-password", secret: true, generatedLength: 22);
            return new JsonObject
            {
                ["type"] = "container.v0",
                ["connectionString"] = $"amqp://gateway:{password}@{{{name}.bindings.tcp.host}}:{{{name}.bindings.tcp.port}}",
                ["image"] = "docker.io/library/rabbitmq:3.13",
                ["env"] = new JsonObject
                {
                    ["RABBITMQ_DEFAULT_USER"] = "gateway",
                    ["RABBITMQ_DEFAULT_PASS"] = password,
                },
                ["bindings"] = new JsonObject
                {
                    ["tcp"] = new JsonObject { ["scheme"] = "tcp", ["protocol"] = "tcp", ["transport"] = "tcp", ["targetPort"] = 5672 },
                },
            };
        });
    }

    private static async Task WriteNodeFilesAsync(ResourceContext context)
    {
        var data = context.DataDirectory;
        // No plugins: the management plugin alone doubles boot time and nothing here uses it.
        await File.WriteAllTextAsync(Path.Combine(data, "enabled_plugins"), "[].\n");
        await File.WriteAllTextAsync(Path.Combine(data, "rabbitmq-env.conf"), "");
        await File.WriteAllTextAsync(Path.Combine(data, "rabbitmq.conf"), "disk_free_limit.absolute = 50MB\n");
    }
}
