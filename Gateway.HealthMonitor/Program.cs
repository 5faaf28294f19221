using Gateway.HealthMonitor.Api;
using Gateway.HealthMonitor.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapBackendsApi();

app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in component tests.</summary>
public partial class Program;
