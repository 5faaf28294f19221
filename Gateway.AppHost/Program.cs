using Gateway.AppHost;
using Gateway.AppHost.Hosting;
using Microsoft.Extensions.Logging;

var builder = DistributedApplication.CreateBuilder(args);
builder.LoggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(console =>
{
    console.SingleLine = true;
    console.TimestampFormat = "HH:mm:ss ";
}));

var model = GatewayAppModel.Define(builder);

await using var app = builder.Build();
Console.WriteLine($"Demo admin API key (this run only): {model.GatewayConfig.AdminApiKey}");
return await app.RunAsync();
