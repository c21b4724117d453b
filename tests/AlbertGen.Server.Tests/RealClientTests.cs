using System.ClientModel;
using System.Text.Json;
using OpenAI;
using Xunit.Abstractions;
using OpenAI.Embeddings;

namespace AlbertGen.Server.Tests;

/// <summary>Over a real loopback socket: the official OpenAI .NET client, and 64 concurrent clients.</summary>
[Collection(ServerCollection.Name)]
public sealed class RealClientTests(ServerPool servers, ITestOutputHelper output)
{
    [Fact]
    public async Task The_OpenAI_client_with_default_settings_gets_the_library_vectors_over_base64()
    {
        RunningServer server = await servers.DefaultOverSocket;
        var recorder = new BodyRecorder();
        using var http = new HttpClient(recorder);
        var client = new EmbeddingClient("shakespeare", new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri(server.BaseAddress, "/v1"),
            Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(http), // only to see what the client sends
        });
        string[] texts = ["But, soft! what light through yonder window breaks?", "It is the east, and Juliet is the sun."];

        ClientResult<OpenAIEmbedding> one = await client.GenerateEmbeddingAsync(texts[0]);
        Assert.Contains("\"encoding_format\":\"base64\"", recorder.Bodies[0]);
        Library.Close(Library.Embeddings(ServerPool.DefaultModelFolder, normalize: true).Embed(texts[0]), one.Value.ToFloats().ToArray());

        ClientResult<OpenAIEmbeddingCollection> both = await client.GenerateEmbeddingsAsync(texts);
        Assert.Equal(2, both.Value.Count);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(i, both.Value[i].Index);
            Library.Close(Library.Embeddings(ServerPool.DefaultModelFolder, normalize: true).Embed(texts[i]), both.Value[i].ToFloats().ToArray());
        }

        Assert.True(both.Value.Usage.InputTokenCount > 0);
        ClientResult<OpenAIEmbedding> shorter = await client.GenerateEmbeddingAsync(texts[0], new EmbeddingGenerationOptions { Dimensions = 16 });
        Assert.Equal(16, shorter.Value.ToFloats().Length);
    }

    [Fact]
    public async Task Sixty_four_concurrent_clients_get_exactly_their_one_at_a_time_answers()
    {
        RunningServer server = await servers.DefaultOverSocket;
        string[] lines = [.. File.ReadLines(Path.Combine(AlbertGen.Tests.SharedFolder.Root, "corpora", "tinyshakespeare.txt"))
            .Where(l => l.Length > 10).Take(64)];
        Assert.Equal(64, lines.Length);

        var alone = new float[lines.Length][];
        for (int i = 0; i < lines.Length; i++)
        {
            alone[i] = Library.Floats((await server.PostOkAsync("/embed", new { inputs = lines[i] }))[0]);
        }

        long batchesBefore = server.Host.Queue.BatchesRun;
        using var start = new SemaphoreSlim(0);
        Task<JsonElement>[] clients = [.. lines.Select(async line =>
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            var client = new RunningServerClient(http);
            await start.WaitAsync();
            return await client.PostOkAsync("/embed", new { inputs = line });
        })];
        start.Release(lines.Length);
        JsonElement[] together = await Task.WhenAll(clients);
        long batches = server.Host.Queue.BatchesRun - batchesBefore;
        output.WriteLine($"64 concurrent requests ran in {batches} forward passes.");
        for (int i = 0; i < lines.Length; i++)
        {
            Library.Close(alone[i], Library.Floats(together[i][0]));
            Library.Close(Library.Embeddings(ServerPool.DefaultModelFolder, normalize: true).Embed(lines[i]), alone[i]);
        }
    }

    /// <summary>Passes requests on, keeping their bodies.</summary>
    private sealed class BodyRecorder() : DelegatingHandler(new HttpClientHandler())
    {
        public List<string> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Bodies.Add(request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken));
            return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>A client of its own per simulated user (its own connection).</summary>
    private sealed class RunningServerClient(HttpClient http)
    {
        public async Task<JsonElement> PostOkAsync(string path, object request)
        {
            using HttpResponseMessage response = await http.PostAsync(path, new StringContent(JsonSerializer.Serialize(request), System.Text.Encoding.UTF8, "application/json"));
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
            return JsonDocument.Parse(text).RootElement.Clone();
        }
    }
}
