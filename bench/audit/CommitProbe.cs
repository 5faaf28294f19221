using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Gateway.Bench.Audit;

/// <summary>Asks the audit database directly which of some event ids are committed (visible to a new reader).</summary>
internal sealed class CommitProbe(DbConnection connection, bool postgres) : IAsyncDisposable
{
    public static async Task<CommitProbe> OpenAsync(string connectionString)
    {
        var postgres = connectionString.Contains("Host=", StringComparison.OrdinalIgnoreCase);
        DbConnection connection = postgres ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);
        await connection.OpenAsync();
        return new CommitProbe(connection, postgres);
    }

    public async Task<HashSet<Guid>> CommittedAsync(IReadOnlyList<Guid> ids)
    {
        await using var command = connection.CreateCommand();
        if (postgres)
        {
            command.CommandText = "SELECT event_id FROM audit_events WHERE event_id = ANY(@ids)";
            command.Parameters.Add(new NpgsqlParameter("ids", ids.ToArray()));
        }
        else
        {
            command.CommandText = $"SELECT event_id FROM audit_events WHERE event_id IN ({string.Join(',', ids.Select((_, i) => "@p" + i))})";
            for (var i = 0; i < ids.Count; i++)
            {
                command.Parameters.Add(new SqliteParameter("@p" + i, ids[i].ToString()));
            }
        }

        var found = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            found.Add(reader.GetGuid(0));
        }

        return found;
    }

    public async Task<long> CountAsync(string source)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM audit_events WHERE source = @source";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "source";
        parameter.Value = source;
        command.Parameters.Add(parameter);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
