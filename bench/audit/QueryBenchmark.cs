using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Gateway.AuditService.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Gateway.Bench.Audit;

/// <summary>
/// Filtered queries over a large table, through the same store code the API uses. Rows are generated in SQL
/// directly into the real schema (30 days, 100 clients, 50 tools, 10 backends, 5 % refusals), in chunks.
/// </summary>
internal static class QueryBenchmark
{
    private const int Chunk = 500_000;
    private static readonly DateTimeOffset End = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Span = TimeSpan.FromDays(30);

    public static async Task<int> RunAsync(BenchArguments args)
    {
        var connectionString = args.Required("auditdb");
        var rows = args.Int("rows", 10_000_000);
        var runs = args.Int("runs", 200);
        var postgres = connectionString.Contains("Host=", StringComparison.OrdinalIgnoreCase);
        var store = StorageExtensions.Create(connectionString, TimeProvider.System);
        await store.MigrateAsync(default);

        await GenerateAsync(connectionString, postgres, rows);

        var middle = End - Span / 2;
        var queries = new (string Name, AuditFilter Filter, bool SecondPage)[]
        {
            ("newest 100, no filter", new AuditFilter(), false),
            ("client", new AuditFilter { ClientId = "client-42" }, false),
            ("client + status, every row of the client matches", new AuditFilter { ClientId = "client-40", Status = "rate_limited" }, false),
            ("client + rare status, worst case (walks the client's rows)", new AuditFilter { ClientId = "client-41", Status = "circuit_open" }, false),
            ("backend + 1 h window", new AuditFilter { Backend = "backend-3", From = middle, To = middle.AddHours(1) }, false),
            ("error code (rare)", new AuditFilter { ErrorCode = -32007 }, false),
            ("tool, second page by cursor", new AuditFilter { Target = "tool-7" }, true),
        };

        Console.WriteLine($"| query (limit 100) | p50 ms | p99 ms | rows returned |");
        Console.WriteLine("| --- | --- | --- | --- |");
        foreach (var (name, filter, secondPage) in queries)
        {
            var times = new List<double>(runs);
            var returned = 0;
            for (var i = 0; i < runs; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var page = await store.Queries.QueryAsync(filter, null, 100, default);
                if (secondPage && page.Next is { } next)
                {
                    started = Stopwatch.GetTimestamp();
                    page = await store.Queries.QueryAsync(filter, next, 100, default);
                }

                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                returned = page.Items.Count;
            }

            times.Sort();
            Console.WriteLine($"| {name} | {Percentiles.Of(times, 50):N2} | {Percentiles.Of(times, 99):N2} | {returned} |");
        }

        await ((IAsyncDisposable)store).DisposeAsync();
        return 0;
    }

    private static async Task GenerateAsync(string connectionString, bool postgres, int rows)
    {
        await using DbConnection connection = postgres ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);
        await connection.OpenAsync();
        var existing = Convert.ToInt64(await Scalar(connection, "SELECT COUNT(*) FROM audit_events"), CultureInfo.InvariantCulture);
        var stepMicros = (long)(Span.TotalMicroseconds / rows);
        var startMicros = AuditTime.ToMicros(End - Span);
        var started = Stopwatch.GetTimestamp();
        for (var from = existing; from < rows; from += Chunk)
        {
            var to = Math.Min(from + Chunk, rows) - 1;
            await using var command = connection.CreateCommand();
            command.CommandTimeout = 0;
            command.CommandText = (postgres ? PostgresGenerate : SqliteGenerate)
                .Replace("{from}", from.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{to}", to.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{start}", startMicros.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{step}", stepMicros.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            await command.ExecuteNonQueryAsync();
            Console.Error.WriteLine($"generated {to + 1:N0} rows ({Stopwatch.GetElapsedTime(started).TotalSeconds:N0} s)");
        }

        if (postgres)
        {
            await Scalar(connection, "ANALYZE audit_events");
        }
        else
        {
            await Scalar(connection, "ANALYZE");
        }
    }

    private static async Task<object?> Scalar(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandTimeout = 0;
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    private const string Columns = AuditQueries.Columns;

    /// <summary>The generated rows are tool calls: every column of <see cref="AuditQueries.LlmColumns"/> NULL.</summary>
    private const string NoLlm = "NULL, NULL, NULL, NULL, NULL, NULL";

    private const string SqliteGenerate =
        "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {to}) " +
        "INSERT INTO audit_events (" + Columns + ") SELECT " +
        "printf('%08x-0000-4000-8000-%012x', i, i), {start} + i * {step}, 'bench', NULL, NULL, 'client-' || (i % 100), " +
        "'tools/call', 'tool-' || (i % 50), 'backend-' || (i % 10), " +
        "CASE WHEN i % 20 = 0 THEN 'Refused' ELSE 'Allowed' END, " +
        "CASE WHEN i % 20 = 0 THEN 'rate_limited' WHEN i % 997 = 0 THEN 'circuit_open' ELSE 'ok' END, " +
        "CASE WHEN i % 20 = 0 THEN -32005 WHEN i % 997 = 0 THEN -32007 END, 5 + i % 97, 512, NULL, NULL, NULL, " + NoLlm + " FROM n";

    private const string PostgresGenerate =
        "INSERT INTO audit_events (" + Columns + ") SELECT " +
        "lpad(to_hex(i), 32, '0')::uuid, {start} + i * {step}, 'bench', NULL, NULL, 'client-' || (i % 100), " +
        "'tools/call', 'tool-' || (i % 50), 'backend-' || (i % 10), " +
        "CASE WHEN i % 20 = 0 THEN 'Refused' ELSE 'Allowed' END, " +
        "CASE WHEN i % 20 = 0 THEN 'rate_limited' WHEN i % 997 = 0 THEN 'circuit_open' ELSE 'ok' END, " +
        "CASE WHEN i % 20 = 0 THEN -32005 WHEN i % 997 = 0 THEN -32007 END, 5 + i % 97, 512, NULL, NULL, NULL, " + NoLlm + " " +
        "FROM generate_series({from}::bigint, {to}::bigint) AS i";
}
