using System.Runtime.InteropServices;
using System.Text.Json;
using AlbertGen.Tests;

namespace AlbertGen.Server.Tests;

/// <summary><c>/embed</c> (TEI) and <c>/v1/embeddings</c> (OpenAI): shapes, and vectors equal to the library's.</summary>
[Collection(ServerCollection.Name)]
public sealed class EmbeddingRouteTests(ServerPool servers)
{
    private static readonly string[] Texts = ["the quick brown fox", "a much longer sentence than the first one, with commas, and more words", "x"];

    [Fact]
    public async Task Embed_of_one_string_is_a_list_of_one_unit_vector_equal_to_the_library()
    {
        RunningServer server = await servers.Tiny;
        JsonElement body = await server.PostOkAsync("/embed", new { inputs = Texts[0] });
        Assert.Equal(1, body.GetArrayLength());
        float[] vector = Library.Floats(body[0]);
        Library.Close(Library.Embeddings(TaskModelDirectory.Tiny, normalize: true).Embed(Texts[0]), vector);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 5);
    }

    [Fact]
    public async Task Embed_of_a_batch_without_normalisation_equals_the_library_text_by_text()
    {
        RunningServer server = await servers.Tiny;
        JsonElement body = await server.PostOkAsync("/embed", new { inputs = Texts, normalize = false });
        Assert.Equal(Texts.Length, body.GetArrayLength());
        for (int i = 0; i < Texts.Length; i++)
        {
            Library.Close(Library.Embeddings(TaskModelDirectory.Tiny, normalize: false).Embed(Texts[i]), Library.Floats(body[i]));
        }
    }

    [Fact]
    public async Task Embed_with_dimensions_keeps_the_first_values_rescaled_to_unit_length()
    {
        RunningServer server = await servers.Tiny;
        JsonElement body = await server.PostOkAsync("/embed", new { inputs = Texts[0], dimensions = 8 });
        float[] full = Library.Embeddings(TaskModelDirectory.Tiny, normalize: false).Embed(Texts[0]);
        double norm = Math.Sqrt(full.Take(8).Sum(v => (double)v * v));
        Library.Close([.. full.Take(8).Select(v => (float)(v / norm))], Library.Floats(body[0]));
    }

    [Fact]
    public async Task Embed_answers_with_tei_timing_headers()
    {
        RunningServer server = await servers.Tiny;
        var (status, _, response) = await server.PostAsync("/embed", """{"inputs": ["one", "two two"]}""");
        Assert.Equal(200, status);
        foreach (string header in new[] { "x-compute-time", "x-queue-time", "x-inference-time", "x-postprocessing-time", "x-tokenization-time", "x-total-time" })
        {
            Assert.True(long.TryParse(response.Headers.GetValues(header).Single(), out long ms) && ms >= 0, header);
        }

        // [CLS] ▁one [SEP] and [CLS] ▁two ▁two [SEP] with the fixture tokenizer.
        int expected = Library.Embeddings(TaskModelDirectory.Tiny, false).Tokenizer.EncodeToIds("one").Length + Library.Embeddings(TaskModelDirectory.Tiny, false).Tokenizer.EncodeToIds("two two").Length;
        Assert.Equal(expected.ToString(), response.Headers.GetValues("x-compute-tokens").Single());
    }

    [Fact]
    public async Task OpenAI_embeddings_in_float_and_base64_carry_the_same_unit_vectors_and_usage()
    {
        RunningServer server = await servers.Tiny;
        JsonElement floats = await server.PostOkAsync("/v1/embeddings", new { input = Texts, model = "anything" });
        JsonElement base64 = await server.PostOkAsync("/v1/embeddings", new { input = Texts, encoding_format = "base64" });
        Assert.Equal("list", floats.GetProperty("object").GetString());
        Assert.Equal("test-model", floats.GetProperty("model").GetString());
        int tokens = Texts.Sum(t => Library.Embeddings(TaskModelDirectory.Tiny, true).Tokenizer.EncodeToIds(t).Length);
        Assert.Equal(tokens, floats.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(tokens, floats.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        for (int i = 0; i < Texts.Length; i++)
        {
            JsonElement item = floats.GetProperty("data")[i];
            Assert.Equal("embedding", item.GetProperty("object").GetString());
            Assert.Equal(i, item.GetProperty("index").GetInt32());
            float[] vector = Library.Floats(item.GetProperty("embedding"));
            Library.Close(Library.Embeddings(TaskModelDirectory.Tiny, normalize: true).Embed(Texts[i]), vector);
            byte[] bytes = Convert.FromBase64String(base64.GetProperty("data")[i].GetProperty("embedding").GetString()!);
            Assert.Equal(vector, MemoryMarshal.Cast<byte, float>(bytes).ToArray());
        }
    }

    [Fact]
    public async Task OpenAI_embeddings_refuse_token_ids_and_unknown_formats_and_oversized_dimensions()
    {
        RunningServer server = await servers.Tiny;
        Assert.Contains("token ids", (await server.FailsAsync("/v1/embeddings", """{"input": [1, 2, 3]}""", 422)).Message);
        Assert.Contains("\"float\" or \"base64\"", (await server.FailsAsync("/v1/embeddings", """{"input": "a", "encoding_format": "int8"}""", 422)).Message);
        Assert.Contains("have 32", (await server.FailsAsync("/v1/embeddings", """{"input": "a", "dimensions": 33}""", 422)).Message);
    }
}
