using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using AlbertGen.Modeling;

namespace AlbertGen.Tests.Fuzz;

/// <summary>
/// What the AFL++ harness needs of the code it instruments. SharpFuzz attaches AFL's coverage map in <c>Fuzzer.Run</c>;
/// instrumented code that runs before that writes through a null pointer and the fork server dies before the first input
/// (tests/fuzz/smoke-afl.sh, run by CI, catches it too, but only where afl++ is installed).
/// </summary>
public sealed class FuzzHarnessPreconditionTests
{
    [Fact]
    public void The_runtime_assembly_has_no_module_initializer()
    {
        string path = typeof(AlbertModel).Assembly.Location;
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        MetadataReader metadata = pe.GetMetadataReader();

        // The module initializer is the static constructor of the special <Module> type, always the first type definition.
        TypeDefinition moduleType = metadata.GetTypeDefinition(MetadataTokens.TypeDefinitionHandle(1));
        string[] methods = [.. moduleType.GetMethods().Select(m => metadata.GetString(metadata.GetMethodDefinition(m).Name))];

        Assert.Equal("<Module>", metadata.GetString(moduleType.Name));
        Assert.DoesNotContain(".cctor", methods);
    }
}
