using System.ComponentModel.DataAnnotations;
using Gateway.HealthMonitor.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.HealthMonitor.Tests;

/// <summary>Validation of <c>Gateway:HealthMonitor</c> as the service registers it (data annotations, on start).</summary>
public sealed class HealthMonitorOptionsTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.Empty(Validate(new HealthMonitorOptions()));
    }

    [Theory]
    [InlineData("00:00:03", "00:00:03")]
    [InlineData("00:00:03", "00:00:05")]
    public void A_lease_renewed_no_more_often_than_it_expires_is_refused(string ttl, string renewInterval)
    {
        var errors = Validate(new HealthMonitorOptions { LeaseTtl = TimeSpan.Parse(ttl, System.Globalization.CultureInfo.InvariantCulture), LeaseRenewInterval = TimeSpan.Parse(renewInterval, System.Globalization.CultureInfo.InvariantCulture) });

        var error = Assert.Single(errors);
        Assert.Contains(nameof(HealthMonitorOptions.LeaseRenewInterval), error.MemberNames);
    }

    [Fact]
    public void The_options_pipeline_refuses_them_too()
    {
        var services = new ServiceCollection();
        services.AddOptions<HealthMonitorOptions>()
            .Configure(o => o.LeaseRenewInterval = o.LeaseTtl)
            .ValidateDataAnnotations();
        using var provider = services.BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<HealthMonitorOptions>>().Value);
        Assert.Contains("must be shorter than LeaseTtl", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_relative_advertised_url_is_refused()
    {
        var error = Assert.Single(Validate(new HealthMonitorOptions { AdvertisedUrl = new Uri("/monitor", UriKind.Relative) }));
        Assert.Contains(nameof(HealthMonitorOptions.AdvertisedUrl), error.MemberNames);
    }

    private static List<ValidationResult> Validate(HealthMonitorOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
