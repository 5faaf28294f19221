using Microsoft.Extensions.Options;

namespace Gateway.Contracts.Configuration;

/// <summary>
/// The per-field rules declared as attributes on <see cref="GatewayOptions"/> and every nested item (backends,
/// providers, clients, limits, breakers), checked by code the options source generator writes: no reflection, and
/// each failure names the field's path under the name it is given.
/// </summary>
[OptionsValidator]
internal sealed partial class GatewayOptionsFieldValidator : IValidateOptions<GatewayOptions>;
