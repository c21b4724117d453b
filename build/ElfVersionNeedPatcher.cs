// Marks one GLIBCXX version requirement of an ELF shared library as weak (VER_FLG_WEAK).
//
// Why this exists: TorchSharp 0.107's libLibTorchSharp.so was linked against GCC 13's libstdc++ and
// records a need for GLIBCXX_3.4.32. Debian 12 ships GCC 12's libstdc++ (up to GLIBCXX_3.4.30), so the
// dynamic loader refuses the library. The only symbol bound to that version is the marker
// `_ZSt21ios_base_library_initv`, which no relocation uses; a weak version need lets the loader accept
// the library and everything else binds to older versions. No library on NuGet or Debian does this
// (patchelf cannot edit version flags), so it is a small, bounded reader/writer of the ELF64 tables.
//
// This file is compiled twice: into the MSBuild inline task (build/TorchSharpNativeFix.targets) and into
// the tests, which run it on real and synthetic files.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace AlbertGen.Build
{
    /// <summary>What <see cref="ElfVersionNeedPatcher.Analyze"/> found in a library.</summary>
    public enum ElfPatchVerdict
    {
        /// <summary>The library does not need the version at all.</summary>
        NotNeeded,
        /// <summary>The need is already weak.</summary>
        AlreadyWeak,
        /// <summary>The need can be made weak safely: only the allowed marker symbols use it.</summary>
        Patchable,
        /// <summary>Other symbols depend on the version, so weakening it would hide a real incompatibility.</summary>
        UnsafeOtherSymbolsUseIt,
        /// <summary>Not an ELF64 little-endian file with version tables.</summary>
        NotElf,
    }

    /// <summary>Finds and weakens a version requirement (<c>.gnu.version_r</c> entry) in an ELF64 file.</summary>
    public static class ElfVersionNeedPatcher
    {
        private const uint ShtDynsym = 11;
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const uint ShtGnuVersym = 0x6fffffff;
        private const ushort VerFlgWeak = 0x2;

        /// <summary>Result of an analysis: the verdict, and where the flags field is.</summary>
        public readonly struct Analysis
        {
            /// <summary>Creates an analysis result.</summary>
            public Analysis(ElfPatchVerdict verdict, long flagsOffset, IReadOnlyList<string> users)
            {
                Verdict = verdict;
                FlagsOffset = flagsOffset;
                Users = users;
            }

            /// <summary>The verdict.</summary>
            public ElfPatchVerdict Verdict { get; }
            /// <summary>File offset of the <c>vna_flags</c> field of the entry, or -1.</summary>
            public long FlagsOffset { get; }
            /// <summary>Dynamic symbols bound to the version.</summary>
            public IReadOnlyList<string> Users { get; }
        }

        /// <summary>Looks for the need of <paramref name="version"/> from <paramref name="library"/>.</summary>
        public static Analysis Analyze(byte[] elf, string library, string version, ICollection<string> allowedSymbols)
        {
            var none = new Analysis(ElfPatchVerdict.NotElf, -1, Array.Empty<string>());
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F'
                || elf[4] != 2 /* ELFCLASS64 */ || elf[5] != 1 /* little endian */)
            {
                return none;
            }

            try
            {
                long shoff = (long)U64(elf, 0x28);
                int shentsize = U16(elf, 0x3A);
                int shnum = U16(elf, 0x3C);
                if (shentsize < 64 || shoff <= 0 || shoff + (long)shentsize * shnum > elf.Length)
                {
                    return none;
                }

                Section? verneed = null, versym = null, dynsym = null;
                var sections = new List<Section>();
                for (int i = 0; i < shnum; i++)
                {
                    long h = shoff + (long)i * shentsize;
                    var s = new Section(U32(elf, h + 4), (long)U64(elf, h + 0x18), (long)U64(elf, h + 0x20),
                        U32(elf, h + 0x28), U32(elf, h + 0x2C), (long)U64(elf, h + 0x38));
                    sections.Add(s);
                    if (s.Type == ShtGnuVerneed) verneed = s;
                    else if (s.Type == ShtGnuVersym) versym = s;
                    else if (s.Type == ShtDynsym) dynsym = s;
                }

                if (verneed is null || versym is null || dynsym is null || verneed.Link >= sections.Count || dynsym.Link >= sections.Count)
                {
                    return none;
                }

                Section strtab = sections[(int)verneed.Link];
                long flagsOffset = -1;
                int versionIndex = -1;
                bool weak = false;
                long entry = verneed.Offset;
                for (uint n = 0; n < verneed.Info; n++)
                {
                    Check(elf, entry, 16);
                    int count = U16(elf, entry + 2);
                    string file = Str(elf, strtab, U32(elf, entry + 4));
                    long aux = entry + U32(elf, entry + 8);
                    for (int a = 0; a < count; a++)
                    {
                        Check(elf, aux, 16);
                        if (file == library && Str(elf, strtab, U32(elf, aux + 8)) == version)
                        {
                            flagsOffset = aux + 4;
                            weak = (U16(elf, aux + 4) & VerFlgWeak) != 0;
                            versionIndex = U16(elf, aux + 6) & 0x7fff;
                        }

                        aux += U32(elf, aux + 12);
                    }

                    uint next = U32(elf, entry + 12);
                    if (next == 0) break;
                    entry += next;
                }

                if (flagsOffset < 0)
                {
                    return new Analysis(ElfPatchVerdict.NotNeeded, -1, Array.Empty<string>());
                }

                // Which dynamic symbols are bound to that version? Only the allowed markers may be.
                Section dynstr = sections[(int)dynsym.Link];
                long symbolCount = dynsym.EntrySize == 0 ? 0 : dynsym.Size / dynsym.EntrySize;
                var users = new List<string>();
                for (long i = 0; i < symbolCount; i++)
                {
                    Check(elf, versym.Offset + i * 2, 2);
                    if ((U16(elf, versym.Offset + i * 2) & 0x7fff) == versionIndex)
                    {
                        long sym = dynsym.Offset + i * dynsym.EntrySize;
                        Check(elf, sym, 24);
                        users.Add(Str(elf, dynstr, U32(elf, sym)));
                    }
                }

                if (weak) return new Analysis(ElfPatchVerdict.AlreadyWeak, flagsOffset, users);
                foreach (string user in users)
                {
                    if (!allowedSymbols.Contains(user)) return new Analysis(ElfPatchVerdict.UnsafeOtherSymbolsUseIt, flagsOffset, users);
                }

                return new Analysis(ElfPatchVerdict.Patchable, flagsOffset, users);
            }
            catch (InvalidDataException)
            {
                return none;
            }
        }

        /// <summary>Sets <c>VER_FLG_WEAK</c> at the offset found by <see cref="Analyze"/>.</summary>
        public static void MarkWeak(byte[] elf, long flagsOffset)
        {
            ushort flags = U16(elf, flagsOffset);
            flags |= VerFlgWeak;
            elf[flagsOffset] = (byte)flags;
            elf[flagsOffset + 1] = (byte)(flags >> 8);
        }

        /// <summary>
        /// Weakens the need in the file at <paramref name="path"/> when <see cref="Analyze"/> finds it
        /// <see cref="ElfPatchVerdict.Patchable"/>, whatever this machine's libstdc++: a weak need is harmless where the
        /// version exists, and an output built here may run where it does not (a newer build machine or a container build
        /// stage deploying to Debian 12). Writes a new file and renames it over the old one (so a hard link into the
        /// NuGet cache is broken, never written through) and keeps the timestamp, so incremental copies leave it alone.
        /// </summary>
        /// <returns>The analysis before patching.</returns>
        public static Analysis WeakenFile(string path, string library, string version, ICollection<string> allowedSymbols)
        {
            byte[] elf = File.ReadAllBytes(path);
            Analysis analysis = Analyze(elf, library, version, allowedSymbols);
            if (analysis.Verdict != ElfPatchVerdict.Patchable) return analysis;
            MarkWeak(elf, analysis.FlagsOffset);
            DateTime stamp = File.GetLastWriteTimeUtc(path);
            string temporary = path + ".weakened";
            File.WriteAllBytes(temporary, elf);
            File.SetLastWriteTimeUtc(temporary, stamp);
            File.Delete(path);
            File.Move(temporary, path);
            return analysis;
        }

        /// <summary>Whether a library file (a system libstdc++) defines the version string.</summary>
        public static bool DefinesVersion(string libraryPath, string version)
        {
            byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
            byte[] data = File.ReadAllBytes(libraryPath);
            for (int i = 0; i + needle.Length <= data.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && data[i + j] == needle[j]) j++;
                if (j == needle.Length && (i == 0 || data[i - 1] == 0)) return true;
            }

            return false;
        }

        private static void Check(byte[] elf, long offset, int length)
        {
            if (offset < 0 || offset + length > elf.Length) throw new InvalidDataException("ELF table out of bounds");
        }

        private static string Str(byte[] elf, Section table, uint index)
        {
            long start = table.Offset + index;
            if (index >= table.Size) throw new InvalidDataException("ELF string out of bounds");
            long end = start;
            long limit = Math.Min(elf.Length, table.Offset + table.Size);
            while (end < limit && elf[end] != 0) end++;
            return Encoding.ASCII.GetString(elf, (int)start, (int)(end - start));
        }

        private static ushort U16(byte[] b, long o) { Check(b, o, 2); return (ushort)(b[o] | b[o + 1] << 8); }
        private static uint U32(byte[] b, long o) { Check(b, o, 4); return (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24); }
        private static ulong U64(byte[] b, long o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;

        private sealed class Section
        {
            public Section(uint type, long offset, long size, uint link, uint info, long entrySize)
            {
                Type = type; Offset = offset; Size = size; Link = link; Info = info; EntrySize = entrySize;
            }

            public uint Type { get; }
            public long Offset { get; }
            public long Size { get; }
            public uint Link { get; }
            public uint Info { get; }
            public long EntrySize { get; }
        }
    }
#if !ELF_PATCHER_WITHOUT_TASK
    /// <summary>
    /// MSBuild task: makes TorchSharp's native library loadable on systems whose libstdc++ predates GLIBCXX_3.4.32, in
    /// the build output's copy only (never the NuGet cache). It patches whatever the build machine's libstdc++, since the
    /// output may be deployed elsewhere (see <see cref="ElfVersionNeedPatcher.WeakenFile"/>); it refuses, with a warning,
    /// when symbols other than the marker need the version.
    /// </summary>
    public sealed class WeakenGlibcxxVersionNeed : Microsoft.Build.Utilities.Task
    {
        /// <summary>The native libraries to inspect (copies in the output or publish folder).</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <summary>The system libstdc++ named in messages; empty means search the usual places. It decides nothing.</summary>
        public string SystemLibStdCxx { get; set; } = "";

        /// <inheritdoc />
        public override bool Execute()
        {
            const string version = "GLIBCXX_3.4.32";
            string system = SystemLibStdCxx;
            if (system.Length == 0)
            {
                foreach (string candidate in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6" })
                {
                    if (File.Exists(candidate)) { system = candidate; break; }
                }
            }

            bool systemHasIt = system.Length > 0 && File.Exists(system) && ElfVersionNeedPatcher.DefinesVersion(system, version);
            string here = system.Length == 0 || !File.Exists(system) ? "no system libstdc++ found"
                : system + (systemHasIt ? " defines it" : " lacks it");
            var allowed = new HashSet<string> { "_ZSt21ios_base_library_initv" };
            foreach (var item in Libraries)
            {
                string path = item.ItemSpec;
                if (!File.Exists(path)) continue;
                var analysis = ElfVersionNeedPatcher.WeakenFile(path, "libstdc++.so.6", version, allowed);
                switch (analysis.Verdict)
                {
                    case ElfPatchVerdict.Patchable:
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, "Marked " + version + " weak in " + path + " (only the marker symbol uses it; " + here + ").");
                        break;
                    case ElfPatchVerdict.UnsafeOtherSymbolsUseIt:
                        Log.LogWarning("{0} needs {1} for symbols other than the marker ({2}); it was not patched and will not load where libstdc++ lacks {1} (Debian 12; {3}).", path, version, string.Join(", ", analysis.Users), here);
                        break;
                    default:
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, path + ": " + analysis.Verdict);
                        break;
                }
            }

            return !Log.HasLoggedErrors;
        }
    }
#endif
}
