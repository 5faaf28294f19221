using System.Globalization;
using Gateway.Contracts.Configuration;
using StackExchange.Redis;

namespace Gateway.Proxy.Pipeline.RateLimiting;

/// <summary>
/// Token buckets shared by every replica: one per client and one per (client, tool), both checked and spent by a
/// single Lua script, so two replicas can never spend the same token and a refused take spends nothing.
/// Each bucket is a hash <c>{t: tokens, ts: last refill in ms}</c> that expires once it would be full anyway.
/// </summary>
public sealed class RedisTokenBuckets(IConnectionMultiplexer redis)
{
    // KEYS[1] client bucket, KEYS[2] (client, tool) bucket when present.
    // ARGV: now (ms), client rate (tokens/s), client burst, tool rate, tool burst, tokens wanted.
    // Takes as many of the wanted tokens as every bucket holds, at least one; otherwise takes none.
    // Returns {tokens taken, retry-after ms when none, refusing bucket (0 none, 1 client, 2 tool)}.
    private const string Script = """
        local now = tonumber(ARGV[1])
        local function level(key, rate, burst)
          local v = redis.call('HMGET', key, 't', 'ts')
          local tokens, ts = tonumber(v[1]), tonumber(v[2])
          if tokens == nil or ts == nil then return burst end
          if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000) end
          return tokens
        end
        local function spend(key, tokens, taken, rate, burst)
          redis.call('HSET', key, 't', tostring(tokens - taken), 'ts', tostring(now))
          redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
        end
        local crate, cburst = tonumber(ARGV[2]), tonumber(ARGV[3])
        local c = level(KEYS[1], crate, cburst)
        local wait, which = 0, 0
        if c < 1 then wait, which = (1 - c) * 1000 / crate, 1 end
        local taken = math.min(tonumber(ARGV[6]), math.floor(c))
        local t, trate, tburst
        if #KEYS > 1 then
          trate, tburst = tonumber(ARGV[4]), tonumber(ARGV[5])
          t = level(KEYS[2], trate, tburst)
          if t < 1 then
            local w = (1 - t) * 1000 / trate
            if w > wait then wait, which = w, 2 end
          end
          taken = math.min(taken, math.floor(t))
        end
        if which > 0 then return {0, math.ceil(wait), which} end
        spend(KEYS[1], c, taken, crate, cburst)
        if t ~= nil then spend(KEYS[2], t, taken, trate, tburst) end
        return {taken, 0, 0}
        """;

    public bool IsConnected => redis.IsConnected;

    /// <summary>
    /// Takes up to <paramref name="wanted"/> tokens from the client's bucket and, when <paramref name="target"/> is
    /// set, the same number from its (client, tool) bucket: as many as both hold, at least one, or none at all.
    /// </summary>
    public async Task<RateLimitGrant> TakeAsync(string clientId, string? target, RateLimitOptions limits, DateTimeOffset now, int wanted = 1)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentOutOfRangeException.ThrowIfLessThan(wanted, 1);
        // The hash tag {client} keeps both keys in one cluster slot, which a multi-key script needs.
        var clientKey = $"gateway:rl:{{{clientId}}}";
        RedisKey[] keys = target is null ? [clientKey] : [clientKey, $"{clientKey}:tool:{target}"];
        RedisValue[] args =
        [
            now.ToUnixTimeMilliseconds(),
            limits.ClientPerSecond.ToString("R", CultureInfo.InvariantCulture),
            limits.ClientBurst,
            limits.ToolPerSecond.ToString("R", CultureInfo.InvariantCulture),
            limits.ToolBurst,
            wanted,
        ];
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Script, keys, args))!;
        return new RateLimitGrant((int)(long)result[0], TimeSpan.FromMilliseconds((long)result[1]), (RateLimitBucket)(long)result[2]);
    }
}
