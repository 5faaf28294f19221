using Gateway.AuditService.Retention;
using Gateway.AuditService.Storage;
using Gateway.AuditService.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.AuditService.Tests.Retention;

public sealed class RetentionServiceTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly FakeTimeProvider _time = new(SampleEvents.Epoch);
    private IAuditStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = StorageExtensions.Create($"Data Source={_folder.File("audit.db")}", _time);
        await _store.MigrateAsync(default);
    }

    public async Task DisposeAsync() => await ((IAsyncDisposable)_store).DisposeAsync();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_purge_deletes_every_expired_record_in_batches_and_keeps_the_rest()
    {
        var expired = SampleEvents.Stream(2_500, SampleEvents.Epoch.AddDays(-8));
        var kept = SampleEvents.Stream(10, SampleEvents.Epoch.AddDays(-6));
        await _store.AppendAsync([.. expired, .. kept], default);
        var retention = Create(new RetentionOptions { Days = 7, BatchSize = 1000, BatchPause = TimeSpan.Zero });

        var deleted = await retention.PurgeAsync(default);

        Assert.Equal(2_500, deleted);
        var left = await _store.Queries.QueryAsync(new AuditFilter(), null, 100, default);
        Assert.Equal(kept.Select(e => e.EventId).Reverse(), left.Items.Select(e => e.EventId));
    }

    [Fact]
    public async Task Zero_days_keeps_everything()
    {
        await _store.AppendAsync(SampleEvents.Stream(3, SampleEvents.Epoch.AddYears(-5)), default);
        var retention = Create(new RetentionOptions { Days = 0 });

        Assert.Equal(0, await retention.PurgeAsync(default));
        Assert.Equal(3, (await _store.Queries.QueryAsync(new AuditFilter(), null, 10, default)).Items.Count);
    }

    [Fact]
    public async Task Records_expire_as_the_clock_moves_on()
    {
        await _store.AppendAsync(SampleEvents.Stream(5, SampleEvents.Epoch.AddDays(-1)), default);
        var retention = Create(new RetentionOptions { Days = 2, BatchPause = TimeSpan.Zero });

        Assert.Equal(0, await retention.PurgeAsync(default));
        _time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(5, await retention.PurgeAsync(default));
    }

    private RetentionService Create(RetentionOptions options) =>
        new(_store, new StaticOptionsMonitor(options), _time, NullLogger<RetentionService>.Instance);

    private sealed class StaticOptionsMonitor(RetentionOptions value) : IOptionsMonitor<RetentionOptions>
    {
        public RetentionOptions CurrentValue => value;

        public RetentionOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<RetentionOptions, string?> listener) => null;
    }
}
