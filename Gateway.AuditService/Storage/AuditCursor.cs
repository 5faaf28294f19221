using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Gateway.AuditService.Storage;

/// <summary>
/// Keyset position in the newest-first order (timestamp, event id), both descending. Rows inserted later with a newer
/// timestamp land before the cursor, so paging never skips or repeats a row while ingestion continues.
/// Clients see it only as an opaque base64url token.
/// </summary>
internal readonly record struct AuditCursor(long TimestampMicros, Guid EventId)
{
    private const int EncodedBytes = sizeof(long) + 16;

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[EncodedBytes];
        BinaryPrimitives.WriteInt64BigEndian(bytes, TimestampMicros);
        EventId.TryWriteBytes(bytes[sizeof(long)..], bigEndian: true, out _);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static bool TryParse(string? token, [NotNullWhen(true)] out AuditCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(token) || token.Length > 64)
        {
            return false;
        }

        var base64 = new StringBuilder(token.Replace('-', '+').Replace('_', '/'));
        while (base64.Length % 4 != 0)
        {
            base64.Append('=');
        }

        Span<byte> bytes = stackalloc byte[48];
        if (!Convert.TryFromBase64String(base64.ToString(), bytes, out var written) || written != EncodedBytes)
        {
            return false;
        }

        cursor = new AuditCursor(
            BinaryPrimitives.ReadInt64BigEndian(bytes),
            new Guid(bytes[sizeof(long)..EncodedBytes], bigEndian: true));
        return true;
    }
}
