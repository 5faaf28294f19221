using System.Runtime.CompilerServices;
using System.Text.Json;
using Gateway.Contracts.Configuration;

namespace Gateway.Proxy.Backends;

/// <summary>
/// Compares backends by value. Every configuration reload binds new <see cref="BackendOptions"/> objects, so reference
/// equality says nothing about whether a backend was actually changed; its serialized form does. Cached per object:
/// a call compares at most two lookups after a reload.
/// </summary>
internal static class BackendSettings
{
    private static readonly ConditionalWeakTable<BackendOptions, string> s_fingerprints = [];

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> describe the same backend, reached the same way.</summary>
    public static bool Same(BackendOptions a, BackendOptions b) =>
        ReferenceEquals(a, b) || string.Equals(Fingerprint(a), Fingerprint(b), StringComparison.Ordinal);

    private static string Fingerprint(BackendOptions backend) =>
        s_fingerprints.GetValue(backend, static b => JsonSerializer.Serialize(b));
}
