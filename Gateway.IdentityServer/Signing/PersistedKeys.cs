using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.IdentityServer.Signing;

/// <summary>
/// RSA keys kept as PEM files in the run folder: created on first start, read on every later one, so tokens issued
/// before a restart of the server still verify against its JWKS (and the proxy's cached keys stay right).
/// </summary>
internal static class PersistedKeys
{
    public static RsaSecurityKey Load(string directory, string name)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name + ".pem");
        var rsa = RSA.Create();
        if (File.Exists(path))
        {
            rsa.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            rsa.KeySize = 2048;
            var pem = rsa.ExportPkcs8PrivateKeyPem();
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, pem);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.Move(temporary, path, overwrite: true);
        }

        // The key id is derived from the public key, so it is stable across restarts.
        var id = Convert.ToHexStringLower(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()))[..16];
        return new RsaSecurityKey(rsa) { KeyId = id };
    }
}
