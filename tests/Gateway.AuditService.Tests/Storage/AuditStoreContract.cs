using System.Data.Common;
using CsCheck;
using Gateway.AuditService.Storage;
using Gateway.AuditService.Tests.Infrastructure;
using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Tests.Storage;

/// <summary>
/// What every audit store must do, run against each engine by a derived class. Each test gets an empty store.
/// </summary>
public abstract class AuditStoreContract : IAsyncLifetime
{
    private IAuditStore? _store;

    internal IAuditStore Store => _store ?? throw new InvalidOperationException("not initialized");

    /// <summary>A fresh, empty, migrated store.</summary>
    internal abstract Task<IAuditStore> CreateStoreAsync();

    /// <summary>The engine's column types, to build a database as an older release left it.</summary>
    internal abstract AuditSchema.Types Types { get; }

    /// <summary>The connection string of a new, empty database.</summary>
    internal abstract Task<string> NewDatabaseAsync();

    /// <summary>A plain connection to <paramref name="connectionString"/>, bypassing the store.</summary>
    internal abstract DbConnection Connect(string connectionString);

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync();
        await _store.MigrateAsync(CancellationToken.None);
    }

    public virtual async Task DisposeAsync()
    {
        if (_store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    [Fact]
    public async Task Migrating_again_keeps_the_data_and_changes_nothing()
    {
        await Store.AppendAsync([SampleEvents.Call()], default);

        await Store.MigrateAsync(default);

        var page = await Store.Queries.QueryAsync(new AuditFilter(), null, 10, default);
        Assert.Single(page.Items);
    }

    [Fact]
    public async Task Appending_the_same_event_twice_stores_it_once()
    {
        var e = SampleEvents.Call();

        var first = await Store.AppendAsync([e], default);
        var second = await Store.AppendAsync([e, SampleEvents.Call()], default);

        Assert.Equal(1, first);
        Assert.Equal(1, second);
        var page = await Store.Queries.QueryAsync(new AuditFilter(), null, 10, default);
        Assert.Equal(2, page.Items.Count);
    }

    [Fact]
    public async Task A_stored_event_reads_back_with_every_field()
    {
        var e = SampleEvents.Call(errorCode: -32007, status: "circuit_open", decision: AuditDecision.Refused) with
        {
            Timestamp = SampleEvents.Epoch.AddMilliseconds(123).AddTicks(4560),
            Arguments = "{\"text\":\"héllo, \\\"world\\\"\"}",
            Detail = "circuit open for everything",
            User = "alice@example.com",
            SessionId = null,
        };
        await Store.AppendAsync([e], default);

        var found = await Store.Queries.FindAsync(e.EventId, default);

        Assert.Equal(e, found);
        Assert.Null(await Store.Queries.FindAsync(Guid.NewGuid(), default));
    }

    [Fact]
    public async Task Each_filter_selects_only_matching_events()
    {
        var t = SampleEvents.Epoch;
        var events = new[]
        {
            SampleEvents.Call(at: t, client: "alice", target: "echo", backend: "b1", status: "ok"),
            SampleEvents.Call(at: t.AddSeconds(1), client: "bob", target: "add", backend: "b1", status: "ok"),
            SampleEvents.Call(at: t.AddSeconds(2), client: "alice", target: "add", backend: "b2", status: "rate_limited",
                decision: AuditDecision.Refused, errorCode: -32005),
            SampleEvents.Call(at: t.AddSeconds(3), client: "carol", target: "echo", backend: "b2", status: "circuit_open",
                decision: AuditDecision.Refused, errorCode: -32007),
        };
        await Store.AppendAsync(events, default);

        async Task<Guid[]> Ids(AuditFilter filter) =>
            (await Store.Queries.QueryAsync(filter, null, 100, default)).Items.Select(e => e.EventId).ToArray();

        Assert.Equal([events[2].EventId, events[0].EventId], await Ids(new AuditFilter { ClientId = "alice" }));
        Assert.Equal([events[2].EventId, events[1].EventId], await Ids(new AuditFilter { Target = "add" }));
        Assert.Equal([events[3].EventId, events[2].EventId], await Ids(new AuditFilter { Backend = "b2" }));
        Assert.Equal([events[2].EventId], await Ids(new AuditFilter { Status = "rate_limited" }));
        Assert.Equal([events[3].EventId], await Ids(new AuditFilter { ErrorCode = -32007 }));
        Assert.Equal([events[3].EventId, events[2].EventId], await Ids(new AuditFilter { Decision = AuditDecision.Refused }));
        Assert.Equal([events[2].EventId, events[1].EventId], await Ids(new AuditFilter { From = t.AddSeconds(1), To = t.AddSeconds(3) }));
        Assert.Equal([events[2].EventId], await Ids(new AuditFilter { ClientId = "alice", Backend = "b2", Method = "tools/call" }));
        Assert.Empty(await Ids(new AuditFilter { ClientId = "nobody" }));
    }

    [Fact]
    public async Task Paging_newest_first_neither_skips_nor_repeats_while_inserts_continue()
    {
        var original = SampleEvents.Stream(250);
        // Equal timestamps force the event id to break ties.
        original.AddRange(Enumerable.Range(0, 20).Select(_ => SampleEvents.Call(at: SampleEvents.Epoch.AddMilliseconds(100))));
        await Store.AppendAsync(original, default);

        var seen = new List<AuditEvent>();
        AuditCursor? cursor = null;
        var round = 0;
        do
        {
            var page = await Store.Queries.QueryAsync(new AuditFilter(), cursor, 40, default);
            seen.AddRange(page.Items);
            cursor = page.Next;
            // Newer events arrive between pages; they belong before the first page and must not leak into later ones.
            await Store.AppendAsync(SampleEvents.Stream(10, SampleEvents.Epoch.AddHours(1 + round++)), default);
        }
        while (cursor is not null);

        Assert.Equal(original.Count, seen.Count);
        Assert.Equal(original.Count, seen.Select(e => e.EventId).Distinct().Count());
        Assert.Equal(
            original.OrderByDescending(e => e.Timestamp).ThenByDescending(e => e.EventId.ToString()).Select(e => e.EventId),
            seen.Select(e => e.EventId));
    }

    [Fact]
    public async Task The_last_page_has_no_cursor()
    {
        await Store.AppendAsync(SampleEvents.Stream(5), default);

        var full = await Store.Queries.QueryAsync(new AuditFilter(), null, 5, default);
        var partial = await Store.Queries.QueryAsync(new AuditFilter(), null, 3, default);

        Assert.Null(full.Next);
        Assert.NotNull(partial.Next);
    }

    [Fact]
    public async Task Export_streams_every_matching_event_newest_first()
    {
        var alice = SampleEvents.Stream(1500, client: "alice");
        await Store.AppendAsync(alice, default);
        await Store.AppendAsync(SampleEvents.Stream(50, client: "bob"), default);

        var exported = new List<AuditEvent>();
        await foreach (var e in Store.Queries.ExportAsync(new AuditFilter { ClientId = "alice" }, default))
        {
            exported.Add(e);
        }

        Assert.Equal(alice.AsEnumerable().Reverse().Select(e => e.EventId), exported.Select(e => e.EventId));
    }

    [Fact]
    public async Task Stats_count_each_status_per_minute_and_rank_latency_per_backend()
    {
        var t = SampleEvents.Epoch;
        var events = new List<AuditEvent>();
        // 100 allowed calls on b1 with latencies 1..100 ms in the first minute; refusals carry no backend latency.
        events.AddRange(Enumerable.Range(1, 100).Select(i => SampleEvents.Call(at: t.AddMilliseconds(i), backend: "b1", latencyMs: i)));
        events.AddRange(Enumerable.Range(0, 3).Select(i => SampleEvents.Call(
            at: t.AddMinutes(1).AddSeconds(i), backend: "b1", status: "forbidden", decision: AuditDecision.Refused, latencyMs: 999)));
        events.Add(SampleEvents.Call(at: t.AddMinutes(1), backend: "b2", latencyMs: 7));
        events.Add(SampleEvents.Call(at: t.AddMinutes(5), backend: "b2", latencyMs: 7));
        await Store.AppendAsync(events, default);

        var stats = await Store.Queries.StatsAsync(t, t.AddMinutes(2), default);

        Assert.Equal(
            [new StatusCount(t, "ok", 100), new StatusCount(t.AddMinutes(1), "forbidden", 3), new StatusCount(t.AddMinutes(1), "ok", 1)],
            stats.PerMinute);
        Assert.Equal([new BackendLatency("b1", 100, 50, 95, 99), new BackendLatency("b2", 1, 7, 7, 7)], stats.Latency);
    }

    [Fact]
    public async Task Deleting_expired_events_takes_at_most_one_batch_and_spares_newer_ones()
    {
        var old = SampleEvents.Stream(25, SampleEvents.Epoch.AddDays(-40));
        var recent = SampleEvents.Stream(5);
        await Store.AppendAsync([.. old, .. recent], default);
        var cutoff = SampleEvents.Epoch.AddDays(-30);

        Assert.Equal(10, await Store.DeleteOlderThanAsync(cutoff, 10, default));
        Assert.Equal(10, await Store.DeleteOlderThanAsync(cutoff, 10, default));
        Assert.Equal(5, await Store.DeleteOlderThanAsync(cutoff, 10, default));
        Assert.Equal(0, await Store.DeleteOlderThanAsync(cutoff, 10, default));

        var left = await Store.Queries.QueryAsync(new AuditFilter(), null, 100, default);
        Assert.Equal(recent.Select(e => e.EventId).Reverse(), left.Items.Select(e => e.EventId));
    }

    [Fact]
    public async Task An_llm_request_reads_back_with_its_attempts_tokens_and_timings_and_is_stored_once()
    {
        var streamed = SampleEvents.LlmCall();
        var refused = SampleEvents.LlmCall(provider: null, inputTokens: null, outputTokens: null, status: "rate_limited") with
        {
            Decision = AuditDecision.Refused,
            Llm = new LlmCallAudit(null, [new LlmAttempt("openai-a", "gpt-4o-mini", "throttled", null)], false, null, null, null),
        };
        var noTargets = SampleEvents.LlmCall(provider: null, status: "unknown_target") with { Llm = new LlmCallAudit(null, [], false, null, null, null) };

        Assert.Equal(3, await Store.AppendAsync([streamed, refused, noTargets], default));
        Assert.Equal(0, await Store.AppendAsync([streamed], default));

        EventAssert.Same(streamed, await Store.Queries.FindAsync(streamed.EventId, default));
        EventAssert.Same(refused, await Store.Queries.FindAsync(refused.EventId, default));
        EventAssert.Same(noTargets, await Store.Queries.FindAsync(noTargets.EventId, default));
        var page = await Store.Queries.QueryAsync(new AuditFilter { Backend = "anthropic-b", Target = "demo-chat" }, null, 10, default);
        EventAssert.Same([streamed], page.Items);
    }

    [Fact]
    public async Task Generated_llm_requests_with_hostile_text_read_back_exactly() =>
        await LlmEvents.Event.Array[1, 8].SampleAsync(
            async events =>
            {
                await Store.AppendAsync(events, default);
                foreach (var e in events)
                {
                    EventAssert.Same(e, await Store.Queries.FindAsync(e.EventId, default));
                }
            },
            iter: 25,
            threads: 1);

    [Fact]
    public async Task Token_usage_is_summed_per_client_and_requested_model_over_llm_requests_only()
    {
        var t = SampleEvents.Epoch;
        await Store.AppendAsync(
        [
            SampleEvents.LlmCall(at: t, client: "alice", inputTokens: 120, outputTokens: 48),
            SampleEvents.LlmCall(at: t.AddSeconds(1), client: "alice", inputTokens: 30, outputTokens: null),
            SampleEvents.LlmCall(at: t.AddSeconds(2), client: "alice", model: "other", provider: null, inputTokens: null, outputTokens: null,
                status: "forbidden") with { Decision = AuditDecision.Refused },
            SampleEvents.LlmCall(at: t.AddSeconds(3), client: "bob", inputTokens: 5, outputTokens: 6),
            SampleEvents.Call(at: t.AddSeconds(4), client: "alice"),
            SampleEvents.LlmCall(at: t.AddMinutes(10), client: "alice", inputTokens: 1000, outputTokens: 1000),
        ], default);

        var stats = await Store.Queries.StatsAsync(t, t.AddMinutes(2), default);

        Assert.Equal(
            [new TokenUsage("alice", "demo-chat", 2, 150, 48), new TokenUsage("alice", "other", 1, 0, 0), new TokenUsage("bob", "demo-chat", 1, 5, 6)],
            stats.Tokens);
    }

    [Fact]
    public async Task A_version_2_database_gains_the_llm_columns_keeps_its_rows_and_still_takes_a_version_2_insert()
    {
        var connectionString = await NewDatabaseAsync();
        var old = SampleEvents.Call(status: "forbidden", decision: AuditDecision.Refused, errorCode: -32003) with { Detail = "it's \"old\"" };
        await using (var connection = Connect(connectionString))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await AuditSchema.ExecuteAsync(connection, transaction,
                $"CREATE TABLE audit_schema (version {Types.Int32} NOT NULL PRIMARY KEY, description {Types.Text} NOT NULL, applied_us {Types.Int64} NOT NULL)", default);
            foreach (var migration in AuditSchema.Migrations(Types).Where(m => m.Version <= 2))
            {
                foreach (var statement in migration.Statements)
                {
                    await AuditSchema.ExecuteAsync(connection, transaction, statement, default);
                }

                await AuditSchema.ExecuteAsync(connection, transaction, $"INSERT INTO audit_schema VALUES ({migration.Version}, 'old', 0)", default);
            }

            await InsertAsVersion2Async(connection, transaction, old);
            await transaction.CommitAsync();
        }

        var store = StorageExtensions.Create(connectionString, TimeProvider.System);
        await using var disposable = (IAsyncDisposable)store;
        await store.MigrateAsync(default);
        var llm = SampleEvents.LlmCall();
        await store.AppendAsync([llm], default);
        // A replica still on the previous release names only the columns it knows.
        var stillOld = SampleEvents.Call(at: SampleEvents.Epoch.AddSeconds(1));
        await using (var connection = Connect(connectionString))
        {
            await connection.OpenAsync();
            await InsertAsVersion2Async(connection, null, stillOld);
            await using var version = connection.CreateCommand();
            version.CommandText = "SELECT MAX(version) FROM audit_schema";
            Assert.Equal(AuditSchema.Migrations(Types)[^1].Version, Convert.ToInt32(await version.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }

        EventAssert.Same(old, await store.Queries.FindAsync(old.EventId, default));
        EventAssert.Same(llm, await store.Queries.FindAsync(llm.EventId, default));
        EventAssert.Same(stillOld, await store.Queries.FindAsync(stillOld.EventId, default));
        Assert.Equal([new TokenUsage("alice", "demo-chat", 1, 120, 48)], (await store.Queries.StatsAsync(SampleEvents.Epoch, SampleEvents.Epoch.AddMinutes(1), default)).Tokens);
    }

    /// <summary>The insert of schema version 2: its seventeen columns, values bound by name as any client would.</summary>
    private static async Task InsertAsVersion2Async(DbConnection connection, DbTransaction? transaction, AuditEvent e)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText =
            "INSERT INTO audit_events (event_id, ts_us, source, request_id, session_id, client_id, method, target, backend, decision, status, " +
            "error_code, latency_ms, response_bytes, arguments_sha256, arguments, detail) VALUES (@id, @ts, @source, @request, @session, @client, " +
            "@method, @target, @backend, @decision, @status, @error, @latency, @bytes, @sha, @arguments, @detail)";
        AuditQueries.AddParameter(command, "@id", command is Microsoft.Data.Sqlite.SqliteCommand ? e.EventId.ToString() : e.EventId);
        AuditQueries.AddParameter(command, "@ts", AuditTime.ToMicros(e.Timestamp));
        AuditQueries.AddParameter(command, "@source", e.Source);
        AuditQueries.AddParameter(command, "@request", e.RequestId);
        AuditQueries.AddParameter(command, "@session", e.SessionId);
        AuditQueries.AddParameter(command, "@client", e.ClientId);
        AuditQueries.AddParameter(command, "@method", e.Method);
        AuditQueries.AddParameter(command, "@target", e.Target);
        AuditQueries.AddParameter(command, "@backend", e.Backend);
        AuditQueries.AddParameter(command, "@decision", e.Decision.ToString());
        AuditQueries.AddParameter(command, "@status", e.Status);
        AuditQueries.AddParameter(command, "@error", e.ErrorCode);
        AuditQueries.AddParameter(command, "@latency", e.LatencyMs);
        AuditQueries.AddParameter(command, "@bytes", e.ResponseBytes);
        AuditQueries.AddParameter(command, "@sha", e.ArgumentsSha256);
        AuditQueries.AddParameter(command, "@arguments", e.Arguments);
        AuditQueries.AddParameter(command, "@detail", e.Detail);
        await command.ExecuteNonQueryAsync();
    }
}
