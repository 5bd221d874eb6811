namespace Motadata.Cache.Server.Tests.Infrastructure;

/// <summary>Where the repository's files are, found from the test assembly's folder.</summary>
public static class Repository
{
    /// <summary>The folder that holds <c>Motadata.Cache.slnx</c>.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Motadata.Cache.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Motadata.Cache.slnx above {AppContext.BaseDirectory}.");
    }
}
