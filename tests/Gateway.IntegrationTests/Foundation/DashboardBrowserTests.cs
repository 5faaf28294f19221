using Aspire.Hosting.Testing;
using Gateway.Testing;
using Gateway.Testing.Aspire;
using Microsoft.Playwright;

namespace Gateway.IntegrationTests.Foundation;

/// <summary>
/// The Aspire dashboard in a real browser (Debian's chromium through Playwright), as an operator uses it: logged in
/// with the token the AppHost prints, the resources page lists every resource and the gateway's backends with their
/// breaker state, and a backend's Isolate command changes that state without a reload. Each test saves a screenshot.
/// </summary>
[Collection(WholeSystemTests.Name)]
public sealed class DashboardBrowserTests(WholeSystemFixture fixture) : IAsyncLifetime
{
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    [Fact]
    public async Task Logged_in_with_the_token_the_resources_page_lists_every_resource_running_and_each_backend_with_its_breaker_state()
    {
        var page = await LoggedInAsync();

        foreach (var resource in new[] { "redis", "messaging", "everything", "healthmonitor", "audit", "proxy" })
        {
            await Expect(RowOf(page, resource)).ToContainTextAsync("Running");
        }

        await Expect(RowOf(page, "everything-circuit")).ToContainTextAsync("Closed");
        await Expect(RowOf(page, "everything-stdio-circuit")).ToContainTextAsync("Closed");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath("resources"), FullPage = true });
    }

    [Fact]
    public async Task The_isolate_command_in_the_dashboard_changes_the_backend_state_without_a_reload_and_is_audited()
    {
        var page = await LoggedInAsync();
        var row = RowOf(page, "everything-circuit");
        await Expect(row).ToContainTextAsync("Closed");
        try
        {
            // The row's last button opens its menu of commands (the "…" in the Actions column).
            await row.GetByRole(AriaRole.Button).Last.ClickAsync();
            await page.GetByText("Isolate", new() { Exact = true }).ClickAsync();

            await Expect(row).ToContainTextAsync("Isolated");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath("isolated"), FullPage = true });
            await fixture.App.WaitForAuditAsync(
                e => e.GetProperty("status").GetString() == "isolated" && e.GetProperty("clientId").GetString() == "demo-admin",
                "backend=everything&method=circuit/transition");
        }
        finally
        {
            await fixture.App.ExecuteCommandAsync("everything-circuit", "reset").ShouldSucceed();
        }

        await Expect(row).ToContainTextAsync("Closed");
    }

    private async Task<IPage> LoggedInAsync()
    {
        var login = await fixture.App.App.GetDashboardUrlAsync() ?? throw new InvalidOperationException("The dashboard is off.");
        var page = await _browser!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
        page.SetDefaultTimeout((float)Eventually.DefaultBound.TotalMilliseconds);
        await page.GotoAsync(login.ToString());
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
        await Expect(page.GetByText("everything-circuit").First).ToBeVisibleAsync();
        return page;
    }

    private static ILocator RowOf(IPage page, string resource) =>
        page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByText(resource, new() { Exact = true }) });

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    private static string ScreenshotPath(string name)
    {
        Directory.CreateDirectory(Screenshots);
        return Path.Combine(Screenshots, $"dashboard-{name}.png");
    }
}
