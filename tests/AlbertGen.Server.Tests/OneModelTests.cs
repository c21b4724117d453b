using System.Text.Json;
using System.Text.Json.Nodes;
using AlbertGen.Server.Engine;
using AlbertGen.Tests;
using TorchSharp;

namespace AlbertGen.Server.Tests;

/// <summary>
/// One model instance and one inference session per served model: the embedding routes run the head model's own encoder
/// (the same parameter tensors, the body part of the same session), and answer what the library's encoder-only generator
/// answers on the same checkpoint.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class OneModelTests(ServerPool servers)
{
    private static readonly string[] Texts = ["the quick brown fox", "a much longer sentence than the first one, with commas, and more words", "x"];

    /// <summary>The tiny pre-training checkpoint (served as masked LM) and every head checkpoint of the fixture.</summary>
    public static TheoryData<string> Checkpoints => ["tiny", "seqcls-single3", "seqcls-regression1", "tokcls5", "qa", "multiplechoice"];

    [Theory]
    [MemberData(nameof(Checkpoints))]
    public async Task A_head_checkpoint_is_loaded_into_one_model_whose_encoder_serves_the_embeddings(string checkpoint)
    {
        ServedModel model = (await Server(checkpoint)).Host.Model!;
        torch.nn.Module head = HeadModel(model);
        var headParameters = head.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var bodyParameters = model.Embeddings.Model.named_parameters().ToList();

        Assert.NotEmpty(bodyParameters);
        foreach ((string name, TorchSharp.Modules.Parameter parameter) in bodyParameters)
        {
            // The same tensor, not an equal copy: the weights exist once.
            Assert.True(headParameters.TryGetValue("albert." + name, out TorchSharp.Modules.Parameter? inHead), $"the head model has no albert.{name}");
            Assert.Equal(inHead.Handle, parameter.Handle);
        }

        Assert.Equal(1, model.SessionsCompiled);
        Assert.Same(model.Embeddings.Model, model.Embeddings.Session.Model);
    }

    [Theory]
    [MemberData(nameof(Checkpoints))]
    public async Task Embed_on_a_head_checkpoint_equals_the_library_embedding_of_that_checkpoint(string checkpoint)
    {
        RunningServer server = await Server(checkpoint);
        string directory = Directory(checkpoint);
        JsonElement body = await server.PostOkAsync("/embed", new { inputs = Texts, normalize = false });

        Assert.Equal(Texts.Length, body.GetArrayLength());
        for (int i = 0; i < Texts.Length; i++)
        {
            Library.Close(Library.Embeddings(directory, normalize: false).Embed(Texts[i]), Library.Floats(body[i]));
        }

        Assert.Equal(1, server.Host.Model!.SessionsCompiled); // the embedding passes compiled nothing of their own
    }

    [Fact]
    public async Task An_encoder_checkpoint_is_one_model_serving_only_the_embedding_routes()
    {
        string directory = EncoderCopyOf(TaskModelDirectory.Tiny);
        try
        {
            await using RunningServer server = await RunningServer.StartAsync(ServerPool.Options(directory));
            ServedModel model = server.Host.Model!;
            Assert.Equal(AlbertHeads.None, model.Heads);
            Assert.Null(model.FillMask);
            Assert.Equal(1, model.SessionsCompiled);

            JsonElement body = await server.PostOkAsync("/embed", new { inputs = Texts, normalize = false });
            for (int i = 0; i < Texts.Length; i++)
            {
                Library.Close(Library.Embeddings(TaskModelDirectory.Tiny, normalize: false).Embed(Texts[i]), Library.Floats(body[i]));
            }

            (string type, string message) = await server.FailsAsync("/fill-mask", """{"inputs": "the [MASK] sat"}""", 400);
            Assert.Equal("backend", type);
            Assert.Contains("MaskedLM", message, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
    }

    private Task<RunningServer> Server(string checkpoint) => checkpoint == "tiny" ? servers.Tiny : servers.Head(checkpoint);

    private static string Directory(string checkpoint) => checkpoint == "tiny" ? TaskModelDirectory.Tiny : TaskModelDirectory.Head(checkpoint);

    /// <summary>The served head's model (each head checkpoint serves one head).</summary>
    private static torch.nn.Module HeadModel(ServedModel model) =>
        (torch.nn.Module?)model.FillMask?.Model ?? (torch.nn.Module?)model.Classifier?.Model ?? (torch.nn.Module?)model.TokenClassifier?.Model
        ?? (torch.nn.Module?)model.QuestionAnswering?.Model ?? model.MultipleChoice?.Model
        ?? throw new InvalidOperationException($"{model.Directory} serves no head.");

    /// <summary>A copy of a checkpoint whose config names the bare encoder (<c>AlbertModel</c>) as its architecture.</summary>
    private static string EncoderCopyOf(string source)
    {
        string target = Path.Combine(Path.GetTempPath(), $"albertgen-encoder-checkpoint-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(target);
        foreach (string file in System.IO.Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        string configPath = Path.Combine(target, "config.json");
        JsonNode config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["architectures"] = new JsonArray("AlbertModel");
        File.WriteAllText(configPath, config.ToJsonString());
        return target;
    }
}
