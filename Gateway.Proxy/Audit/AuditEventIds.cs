using System.Buffers.Binary;

namespace Gateway.Proxy.Audit;

/// <summary>
/// Version-7 UUIDs (RFC 9562) for audit events: the event's Unix time in milliseconds, then 74 pseudo-random bits.
/// </summary>
/// <remarks>
/// <see cref="Guid.CreateVersion7(DateTimeOffset)"/> draws its random bits from the operating system, a system call
/// for every audited call. An event id must be unique, not unpredictable (the audit service deduplicates on it),
/// and <see cref="Random.Shared"/> (xoshiro256**, seeded from the operating system once per thread) gives that
/// without leaving the process: two ids collide only if they share a millisecond and all 74 random bits.
/// </remarks>
public static class AuditEventIds
{
    public static Guid Next(DateTimeOffset timestamp)
    {
        // Big-endian, as RFC 9562 lays it out: the 48-bit timestamp, then random bits in which the version (7, high
        // nibble of byte 6) and the variant (0b10, two high bits of byte 8) are set.
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes, timestamp.ToUnixTimeMilliseconds() << 16);
        Random.Shared.NextBytes(bytes[6..]);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }
}
