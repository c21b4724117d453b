using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using AlbertGen.Generators.Specs;

namespace AlbertGen.Generators.Parsing
{
    /// <summary>
    /// Finds the additional file an <c>[AlbertModel]</c> path names. A relative path is tried against the declaring
    /// file's folder, then the project folder (<c>build_property.projectdir</c>); an absolute path as it is. Paths are
    /// compared after resolving <c>.</c> and <c>..</c> and unifying separators, without touching the file system.
    /// </summary>
    internal static class ConfigFileResolver
    {
        public static ModelInput Resolve(DeclarationSpec declaration, ImmutableArray<ConfigFileSpec> files, string? projectDirectory)
        {
            if (!declaration.IsValid)
            {
                return new ModelInput(declaration, null, string.Empty);
            }

            var candidates = new List<string>();
            string path = declaration.ConfigPath;
            if (IsRooted(path))
            {
                candidates.Add(Normalize(path));
            }
            else
            {
                string? declaringFolder = Folder(declaration.DeclaringFilePath);
                if (declaringFolder != null)
                {
                    candidates.Add(Normalize(declaringFolder + "/" + path));
                }

                if (projectDirectory != null && projectDirectory.Trim().Length > 0)
                {
                    string inProject = Normalize(projectDirectory.Trim() + "/" + path);
                    if (!candidates.Contains(inProject))
                    {
                        candidates.Add(inProject);
                    }
                }
            }

            foreach (string candidate in candidates)
            {
                // An exact match first, then one differing only in case (Windows and macOS file systems ignore case).
                ConfigFileSpec? match = Find(files, candidate, StringComparison.Ordinal) ?? Find(files, candidate, StringComparison.OrdinalIgnoreCase);
                if (match != null)
                {
                    return new ModelInput(declaration, match, string.Empty);
                }
            }

            string searched = candidates.Count == 0 ? "'" + path + "'" : string.Join(" and ", candidates.ConvertAll(c => "'" + c + "'"));
            return new ModelInput(declaration, null, searched);
        }

        private static ConfigFileSpec? Find(ImmutableArray<ConfigFileSpec> files, string normalizedPath, StringComparison comparison)
        {
            foreach (ConfigFileSpec file in files)
            {
                if (string.Equals(Normalize(file.Path), normalizedPath, comparison))
                {
                    return file;
                }
            }

            return null;
        }

        /// <summary>Unifies separators to '/', drops '.' segments and resolves '..' against the previous segment.</summary>
        internal static string Normalize(string path)
        {
            string unified = path.Replace('\\', '/');
            string prefix = string.Empty;
            if (unified.StartsWith("//", StringComparison.Ordinal))
            {
                prefix = "//"; // UNC share
            }
            else if (unified.StartsWith("/", StringComparison.Ordinal))
            {
                prefix = "/";
            }

            var segments = new List<string>();
            foreach (string segment in unified.Substring(prefix.Length).Split('/'))
            {
                if (segment.Length == 0 || segment == ".")
                {
                    continue;
                }

                if (segment == ".." && segments.Count > 0 && segments[segments.Count - 1] != ".." && !IsDrive(segments, segments.Count - 1))
                {
                    segments.RemoveAt(segments.Count - 1);
                    continue;
                }

                segments.Add(segment);
            }

            return prefix + string.Join("/", segments);
        }

        private static bool IsDrive(List<string> segments, int index) => index == 0 && segments[0].Length == 2 && segments[0][1] == ':';

        private static bool IsRooted(string path) =>
            path.StartsWith("/", StringComparison.Ordinal) || path.StartsWith("\\", StringComparison.Ordinal)
            || (path.Length >= 2 && path[1] == ':' && char.IsLetter(path[0]));

        private static string? Folder(string filePath)
        {
            if (string.IsNullOrEmpty(filePath))
            {
                return null;
            }

            int slash = filePath.Replace('\\', '/').LastIndexOf('/');
            return slash < 0 ? null : filePath.Substring(0, slash);
        }
    }
}
