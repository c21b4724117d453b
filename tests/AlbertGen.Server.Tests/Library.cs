using System.Collections.Concurrent;
using System.Text.Json;
using AlbertGen.Tasks;
using AlbertGen.Tests;

namespace AlbertGen.Server.Tests;

/// <summary>The library's own answers for the inputs the tests send, from pipelines loaded separately from the server's.</summary>
internal static class Library
{
    private static readonly ConcurrentDictionary<string, object> Pipelines = new();

    public static SentenceEmbeddingGenerator Embeddings(string directory, bool normalize) =>
        Get($"embed:{directory}:{normalize}", () => SentenceEmbeddingGenerator.FromPretrained(directory, new SentenceEmbeddingOptions { Normalize = normalize }));

    public static FillMaskPipeline FillMask => Get("fill-mask", () => FillMaskPipeline.FromPretrained(TaskModelDirectory.Tiny));

    public static TextClassificationPipeline<string> Classifier(string head) =>
        Get($"classify:{head}", () => TextClassificationPipeline.FromPretrained(TaskModelDirectory.Head(head)));

    public static TokenClassificationPipeline Tagger => Get("tag", () => TokenClassificationPipeline.FromPretrained(TaskModelDirectory.Head("tokcls5")));

    public static QuestionAnsweringPipeline QuestionAnswering => Get("qa", () => QuestionAnsweringPipeline.FromPretrained(TaskModelDirectory.Head("qa")));

    public static MultipleChoicePipeline MultipleChoice => Get("mc", () => MultipleChoicePipeline.FromPretrained(TaskModelDirectory.Head("multiplechoice")));

    public static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetSingle())];

    /// <summary>Asserts equal lengths and every value within <paramref name="tolerance"/>.</summary>
    public static void Close(IReadOnlyList<float> expected, IReadOnlyList<float> actual, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"value {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    private static T Get<T>(string key, Func<T> create)
        where T : class => (T)Pipelines.GetOrAdd(key, _ => create());
}
