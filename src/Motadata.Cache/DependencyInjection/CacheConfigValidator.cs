using Microsoft.Extensions.Options;

namespace Motadata.Cache.DependencyInjection;

/// <summary>Runs <see cref="CacheConfig.Validate"/> for the options system, so <c>ValidateOnStart</c> fails the host at start-up with every bad setting listed.</summary>
internal sealed class CacheConfigValidator : IValidateOptions<CacheConfig>
{
    public ValidateOptionsResult Validate(string? name, CacheConfig options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException exception)
        {
            var which = string.IsNullOrEmpty(name) ? "The default Motadata cache" : $"The Motadata cache \"{name}\"";
            return ValidateOptionsResult.Fail($"{which} is misconfigured. {exception.Message}");
        }
    }
}
