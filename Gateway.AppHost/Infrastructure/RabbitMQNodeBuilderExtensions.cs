using System.Globalization;
using Gateway.AppHost.Supervision;

namespace Gateway.AppHost.Infrastructure;

public static class RabbitMQNodeBuilderExtensions
{
    /// <summary>Debian's start script (not /usr/sbin/rabbitmq-server, which switches user). <c>AppHost:RabbitMQ:ServerPath</c> overrides it.</summary>
    public const string DefaultServerPath = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    /// <summary>Erlang's port mapper, which Debian's rabbitmq-server brings.</summary>
    public const string EpmdPath = "/usr/bin/epmd";

    /// <summary>
    /// The gateway's message broker under <paramref name="name"/>: a RabbitMQ container when publishing, otherwise a
    /// private node of the machine's RabbitMQ (see <see cref="AddRabbitMQNode"/>). Both use the same user and password parameter.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddGatewayMessaging(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> password, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.ExecutionContext.IsPublishMode
            ? builder.AddRabbitMQ(name, builder.AddParameter($"{name}-user", RabbitMQNodeResource.UserName), password)
            : builder.AddRabbitMQNode(name, password, dataDirectory);
    }

    /// <summary>
    /// A RabbitMQ node with its data, logs, Erlang cookie and distribution under <paramref name="dataDirectory"/> and on
    /// loopback only, and its port mapper (<c>epmd</c>) as a resource of its own: left to itself RabbitMQ starts a
    /// daemonised epmd that escapes DCP and outlives every run. Healthy once it accepts AMQP connections.
    /// </summary>
    public static IResourceBuilder<RabbitMQNodeResource> AddRabbitMQNode(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> password, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(password);
        var server = builder.Configuration["AppHost:RabbitMQ:ServerPath"] ?? DefaultServerPath;

        var epmd = builder.AddExecutable($"{name}-epmd", EpmdPath, dataDirectory, "-address", "127.0.0.1")
            .WithEndpoint("tcp", Loopback, createIfNotExists: true);
        var epmdPort = epmd.Resource.GetEndpoint("tcp");
        epmd.WithEnvironment("ERL_EPMD_PORT", epmdPort.Property(EndpointProperty.TargetPort))
            .WithTcpHealthCheck("tcp")
            .WithRestartOnCrash();

        var node = new RabbitMQNodeResource(name, server, dataDirectory, password.Resource);
        return builder.AddResource(node)
            .WithEndpoint(RabbitMQNodeResource.PrimaryEndpointName, Loopback, createIfNotExists: true)
            .WithEndpoint(RabbitMQNodeResource.DistributionEndpointName, Loopback, createIfNotExists: true)
            .WithEnvironment(context =>
            {
                var variables = context.EnvironmentVariables;
                var amqp = node.PrimaryEndpoint;
                variables["RABBITMQ_NODENAME"] = ReferenceExpression.Create($"gateway-{amqp.Property(EndpointProperty.TargetPort)}@localhost");
                variables["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
                variables["RABBITMQ_NODE_PORT"] = amqp.Property(EndpointProperty.TargetPort);
                variables["RABBITMQ_DIST_PORT"] = node.GetEndpoint(RabbitMQNodeResource.DistributionEndpointName).Property(EndpointProperty.TargetPort);
                variables["ERL_EPMD_PORT"] = epmdPort.Property(EndpointProperty.TargetPort);
                variables["ERL_EPMD_ADDRESS"] = "127.0.0.1";
                variables["RABBITMQ_MNESIA_BASE"] = Path.Combine(dataDirectory, "mnesia");
                variables["RABBITMQ_LOG_BASE"] = Path.Combine(dataDirectory, "log");
                variables["RABBITMQ_LOGS"] = "-";
                variables["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(dataDirectory, "enabled_plugins");
                variables["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(dataDirectory, "rabbitmq-env.conf");
                variables["RABBITMQ_CONFIG_FILE"] = Path.Combine(dataDirectory, "rabbitmq.conf");
                variables["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(dataDirectory, "advanced.config");
                variables["RABBITMQ_PID_FILE"] = Path.Combine(dataDirectory, "rabbitmq.pid");
                // The Erlang cookie lives in $HOME; the node and any rabbitmqctl pointed at it share it.
                variables["HOME"] = dataDirectory;
                variables["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}";
                // The start script then execs the Erlang VM instead of waiting on it with `wait || true`, which exits 0
                // however the VM died: a beam.smp killed alone (OOM killer, kill -9) looked like a deliberate stop and the
                // crash restarter left the broker down. SIGTERM (the Stop command) still stops the VM cleanly, exit code 0.
                variables["RUNNING_UNDER_SYSTEMD"] = "true";
            })
            .OnBeforeResourceStarted((resource, _, cancellationToken) => WriteNodeFilesAsync(resource, dataDirectory, cancellationToken))
            .WithTcpHealthCheck(RabbitMQNodeResource.PrimaryEndpointName)
            .WithRestartOnCrash()
            .WithReferenceRelationship(epmd)
            .WaitFor(epmd)
            .WithIconName("Mail");

        static void Loopback(EndpointAnnotation endpoint)
        {
            endpoint.UriScheme = "tcp";
            endpoint.IsProxied = false;
            endpoint.TargetHost = "127.0.0.1";
        }
    }

    private static async Task WriteNodeFilesAsync(RabbitMQNodeResource node, string dataDirectory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        // No plugins: the management plugin alone doubles boot time and nothing here uses it.
        await File.WriteAllTextAsync(Path.Combine(dataDirectory, "enabled_plugins"), "[].\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dataDirectory, "rabbitmq-env.conf"), "", cancellationToken);
        // The user a fresh node creates: the same name and password parameter a published RabbitMQ container gets.
        var password = await node.Password.GetValueAsync(cancellationToken);
        await File.WriteAllTextAsync(
            Path.Combine(dataDirectory, "rabbitmq.conf"),
            string.Create(CultureInfo.InvariantCulture, $"disk_free_limit.absolute = 50MB\ndefault_user = {RabbitMQNodeResource.UserName}\ndefault_pass = {password}\n"),
            cancellationToken);
    }
}
