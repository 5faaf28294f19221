using Gateway.AppHost;
using Gateway.AppHost.Backends;
using Gateway.AppHost.Configuration;
using Gateway.AppHost.GatewayState;
using Gateway.AppHost.Identity;
using Gateway.AppHost.Infrastructure;
using Gateway.AppHost.Providers;
using Gateway.AppHost.Supervision;
using Gateway.Contracts.Configuration;

var builder = DistributedApplication.CreateBuilder(args);
if (!Prerequisites.AreMet(builder, Console.Error))
{
    return 1;
}

var run = RunDirectory.Create(builder);

var adminKey = builder.AddParameter("admin-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true);
var llmApiKey = builder.AddProviderApiKey("llm-api-key");
var messagingPassword = builder.AddParameter("messaging-password", new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true);
var publish = builder.ExecutionContext.IsPublishMode;

var redis = builder.AddGatewayRedis("redis", run.For("redis"));
var messaging = builder.AddGatewayMessaging("messaging", messagingPassword, run.For("messaging"));
var auditDb = builder.AddAuditDatabase("auditdb", run.For("auditdb"));

var everything = builder.AddEverythingMcpServer("everything");
var (stdioCommand, stdioArguments) = McpServerBuilderExtensions.EverythingStdioCommand();

// Two fake LLM providers behind one model; each serves both API shapes, so the Anthropic-kind provider entry is the
// primary fake again, with a breaker of its own for /v1/messages.
var llmPrimary = builder.AddFakeProvider("llm-primary", llmApiKey);
var llmSecondary = builder.AddFakeProvider("llm-secondary", llmApiKey);

var gatewayConfig = builder.AddGatewayConfiguration("gateway-config", adminKey, run.Path)
    // The same demo server twice, so every name collides: each shows all of its names with its own prefix.
    .WithHttpBackend("everything", everything, BackendNaming.Prefixed)
    .WithStdioBackend("everything-stdio", stdioCommand, stdioArguments, BackendNaming.Prefixed)
    .WithProvider("llm-primary", llmPrimary, ProviderKind.OpenAI, ProviderBuilderExtensions.ApiKeySetting)
    .WithProvider("llm-secondary", llmSecondary, ProviderKind.OpenAI, ProviderBuilderExtensions.ApiKeySetting)
    .WithProvider("llm-primary-anthropic", llmPrimary, ProviderKind.Anthropic, ProviderBuilderExtensions.ApiKeySetting)
    .WithModel("demo-chat", ("llm-primary", "fake-gpt", 0), ("llm-secondary", "fake-gpt", 1))
    .WithModel("demo-embed", ("llm-primary", "fake-embed", 0), ("llm-secondary", "fake-embed", 1))
    .WithModel("demo-claude", ("llm-primary-anthropic", "fake-claude", 0));

// Locally a real authorization server (OpenIddict) with a demo user and clients; published, the user's own issuer (parameters).
var identity = publish ? null : builder.AddGatewayIdentityServer("identity", run.For("identity-keys"),
    userPassword: builder.AddParameter("identity-user-password", new GenerateParameterDefault { MinLength = 16, Special = false }, secret: true),
    agentSecret: builder.AddParameter("agent-client-secret", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true),
    gatewaySecret: builder.AddParameter("gateway-client-secret", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true));

var healthMonitor = builder.AddProject<Projects.Gateway_HealthMonitor>("healthmonitor")
    .WithHttpEndpoint(port: 5081)
    .WithGatewayConfiguration(gatewayConfig)
    .WithReference(redis).WaitFor(redis)
    .WithReference(messaging).WaitFor(messaging)
    .WaitFor(everything)
    .WithProviderApiKey(llmApiKey)
    .WithHttpHealthCheck("/health")
    .WithRestartOnCrash();

var audit = builder.AddProject<Projects.Gateway_AuditService>("audit")
    .WithHttpEndpoint(port: 5082)
    .WithGatewayConfiguration(gatewayConfig)
    .WithReference(messaging).WaitFor(messaging)
    .WithReference(auditDb).WaitFor(auditDb)
    .WithHttpHealthCheck("/health")
    .WithRestartOnCrash();

var proxy = builder.AddProject<Projects.Gateway_Proxy>("proxy")
    .WithHttpEndpoint(port: 5080)
    .WithExternalHttpEndpoints()
    .WithGatewayConfiguration(gatewayConfig)
    .WithReference(redis).WaitFor(redis)
    .WithReference(messaging).WaitFor(messaging)
    .WithReference(healthMonitor)
    // The audit service declares the durable audit queue; until it exists the broker drops what is published.
    .WithReference(audit).WaitFor(audit)
    .WaitFor(everything)
    .WithProviderApiKey(llmApiKey)
    // Each replica spills undeliverable audit events to its own folder and replays them on restart.
    .WithEnvironment("Gateway__Audit__SpillDirectory", run.For("proxy-audit-spill"))
    .WithEnvironment(ProxyRuntime.Gen0SizeVariable, ProxyRuntime.Gen0Size)
    .WithHttpHealthCheck("/health")
    .WithRestartOnCrash();

if (identity is not null)
{
    identity.ForGateway(proxy);
    gatewayConfig.WithIdentityServer(identity, proxy);
}
else
{
    proxy.WithPublishedIssuer();
    healthMonitor.WithPublishedIssuer();
    audit.WithPublishedIssuer();
}

proxy.WithGatewayBackendsInDashboard(healthMonitor, adminKey,
    backends: ["everything", "everything-stdio"],
    providers: ["llm-primary", "llm-secondary", "llm-primary-anthropic"]);

builder.Build().Run();
return 0;

/// <summary>Internal, unlike the public one the web SDK would generate: test projects see the services' own Program.</summary>
internal sealed partial class Program;
