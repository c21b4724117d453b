using System.Reflection;
using AlbertGen.Modeling;
using AlbertGen.Tests.Modeling;
using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Reliability;

/// <summary>
/// Every public method and constructor of the runtime throws <see cref="ArgumentNullException"/> for a null argument its
/// signature declares non-nullable, before doing anything else. Scanned by reflection: static members and constructors of
/// every public type, instance members of a tiny model of every head and of a tokenizer.
/// </summary>
public sealed class NullArgumentScanTests
{
    private static readonly NullabilityInfoContext Nullability = new();

    /// <summary>Members documented to accept null: the config parsers never throw (null reads as empty text), and a Try method answers false.</summary>
    private static readonly HashSet<string> NullTolerant = ["AlbertConfigReader.Parse/1(json)", "SafetensorsDTypes.TryParse/2(name)"];

    /// <summary>Exceptions, records and structs are data: their constructors take what they are given.</summary>
    private static bool IsData(Type type) => type.IsValueType || typeof(Exception).IsAssignableFrom(type) || type.GetMethod("<Clone>$") is not null;

    [Fact]
    public void Static_members_and_constructors_refuse_null()
    {
        var offenders = new List<string>();
        foreach (Type type in typeof(AlbertConfig).Assembly.GetExportedTypes().Where(t => !t.IsEnum && !t.IsInterface && !t.ContainsGenericParameters && !IsData(t)))
        {
            foreach (MethodBase member in type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).Cast<MethodBase>()
                .Concat(type.IsAbstract ? [] : type.GetConstructors()))
            {
                if (member is MethodInfo { IsGenericMethodDefinition: true } || member.IsSpecialName && member is MethodInfo)
                {
                    continue;
                }

                offenders.AddRange(Check(null, member));
            }
        }

        Assert.True(offenders.Count == 0, "No ArgumentNullException for:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void Model_and_tokenizer_instance_members_refuse_null()
    {
        AlbertConfig config = TinyModels.Config();
        AlbertTokenizer tokenizer = AlbertTokenizer.FromFile(Path.Combine(SharedFolder.Tokenizer, "spiece.model"));
        object[] instances =
        [
            new AlbertModel(config), new AlbertForMaskedLM(config), new AlbertForPreTraining(config),
            new AlbertForSequenceClassification(config), new AlbertForTokenClassification(config),
            new AlbertForQuestionAnswering(config), new AlbertForMultipleChoice(config), tokenizer,
        ];
        var offenders = new List<string>();
        foreach (object instance in instances)
        {
            foreach (MethodInfo method in instance.GetType().GetMethods(BindingFlags.Public | BindingFlags.Instance)
                .Where(m => m.DeclaringType!.Assembly == typeof(AlbertConfig).Assembly && !m.IsSpecialName && !m.IsGenericMethodDefinition))
            {
                offenders.AddRange(Check(instance, method));
            }

            (instance as IDisposable)?.Dispose();
        }

        Assert.True(offenders.Count == 0, "No ArgumentNullException for:\n" + string.Join("\n", offenders));
    }

    /// <summary>Calls <paramref name="member"/> once per non-nullable reference parameter, with null there and harmless values elsewhere.</summary>
    private static IEnumerable<string> Check(object? instance, MethodBase member)
    {
        ParameterInfo[] parameters = member.GetParameters();
        for (int p = 0; p < parameters.Length; p++)
        {
            ParameterInfo parameter = parameters[p];
            if (parameter.ParameterType.IsValueType || parameter.ParameterType.IsByRef || parameter.ParameterType.IsPointer
                || Nullability.Create(parameter).WriteState != NullabilityState.NotNull)
            {
                continue;
            }

            if (NullTolerant.Contains($"{member.DeclaringType!.Name}.{member.Name}/{parameters.Length}({parameter.Name})"))
            {
                continue;
            }

            object?[] args = parameters.Select((q, i) => i == p ? null : Harmless(q)).ToArray();
            Exception? thrown = null;
            try
            {
                if (member is ConstructorInfo ctor)
                {
                    (ctor.Invoke(args) as IDisposable)?.Dispose();
                }
                else
                {
                    object? result = member.Invoke(instance, args);
                    if (result is Task task)
                    {
                        task.GetAwaiter().GetResult();
                    }
                }
            }
            catch (TargetInvocationException e)
            {
                thrown = e.InnerException;
            }
            catch (Exception e)
            {
                thrown = e;
            }

            if (thrown is not ArgumentNullException)
            {
                yield return $"{member.DeclaringType!.Name}.{(member is ConstructorInfo ? "ctor" : member.Name)}({parameter.Name} = null): " +
                    (thrown is null ? "no exception" : $"{thrown.GetType().Name}: {thrown.Message.ReplaceLineEndings(" ")}");
            }
        }
    }

    /// <summary>A value that passes a null check: the type's default for value types, an empty instance where there is one.</summary>
    private static object? Harmless(ParameterInfo parameter)
    {
        Type type = parameter.ParameterType;
        if (parameter.HasDefaultValue)
        {
            return parameter.DefaultValue;
        }

        if (type.IsValueType)
        {
            return Activator.CreateInstance(type);
        }

        if (type == typeof(string))
        {
            return "albertgen-null-scan-does-not-exist";
        }

        if (type.IsArray)
        {
            return Array.CreateInstance(type.GetElementType()!, 0);
        }

        if (type == typeof(AlbertConfig))
        {
            return TinyModels.Config();
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() is { } generic
            && (generic == typeof(IEnumerable<>) || generic == typeof(IReadOnlyList<>) || generic == typeof(IReadOnlyCollection<>)))
        {
            return Array.CreateInstance(type.GetGenericArguments()[0], 0);
        }

        if (type == typeof(Stream))
        {
            return new MemoryStream();
        }

        if (type == typeof(TextWriter))
        {
            return TextWriter.Null;
        }

        return null;
    }
}
