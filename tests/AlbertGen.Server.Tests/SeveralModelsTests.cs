using System.Text.Json;
using AlbertGen.Tests;

namespace AlbertGen.Server.Tests;

/// <summary>Several models in one server: each request picks one with <c>"model"</c>; the first answers when it names none.</summary>
public sealed class SeveralModelsTests
{
    private static AlbertServerOptions TwoModels() => ServerPool.Options(TaskModelDirectory.Tiny) with
    {
        ModelId = "tiny",
        AdditionalModels = [new ServedModelSource("qa", TaskModelDirectory.Head("qa"))],
    };

    [Fact]
    public async Task Requests_choose_their_model_by_name_and_the_first_answers_without_one()
    {
        await using RunningServer server = await RunningServer.StartAsync(TwoModels());
        string context = "George went to Washington and came back the next day.";
        JsonElement answer = await server.PostOkAsync("/question-answering", new { model = "qa", inputs = new { question = "who went?", context } });
        Assert.Equal(Library.QuestionAnswering.Answer("who went?", context).Answers[0].Answer, answer.GetProperty("answer").GetString());

        // No "model": the first model, which has no question-answering head.
        var (type, message) = await server.FailsAsync("/question-answering", JsonSerializer.Serialize(new { inputs = new { question = "who went?", context } }), 400);
        Assert.Equal("backend", type);
        Assert.Contains("AlbertForQuestionAnswering", message);

        JsonElement openai = await server.PostOkAsync("/v1/embeddings", new { model = "qa", input = "a text" });
        Assert.Equal("qa", openai.GetProperty("model").GetString());
        JsonElement first = await server.PostOkAsync("/v1/embeddings", new { input = "a text" });
        Assert.Equal("tiny", first.GetProperty("model").GetString());
        Assert.Equal(server.Host.Slots[0].Model!.Dimensions, first.GetProperty("data")[0].GetProperty("embedding").GetArrayLength());
    }

    [Fact]
    public async Task An_unknown_model_is_404_listing_the_served_names_and_v1_models_lists_them()
    {
        await using RunningServer server = await RunningServer.StartAsync(TwoModels());
        var (type, message) = await server.FailsAsync("/embed", "{\"model\": \"nope\", \"inputs\": \"a\"}", 404);
        Assert.Equal("validation", type);
        Assert.Contains("'nope'", message);
        Assert.Contains("'tiny', 'qa'", message);

        JsonElement models = JsonDocument.Parse(await server.Client.GetStringAsync("/v1/models")).RootElement;
        Assert.Equal("list", models.GetProperty("object").GetString());
        Assert.Equal(["tiny", "qa"], models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.All(models.GetProperty("data").EnumerateArray(), m => Assert.Equal("model", m.GetProperty("object").GetString()));

        JsonElement info = JsonDocument.Parse(await server.Client.GetStringAsync("/info?model=qa")).RootElement;
        Assert.Equal("qa", info.GetProperty("model_id").GetString());
        Assert.Contains(info.GetProperty("routes").EnumerateArray(), r => r.GetProperty("path").GetString() == "/question-answering");
        Assert.Equal(["tiny", "qa"], info.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(404, (int)(await server.Client.GetAsync("/info?model=nope")).StatusCode);
    }

    [Fact]
    public async Task Metrics_carry_the_model_label()
    {
        await using RunningServer server = await RunningServer.StartAsync(TwoModels());
        await server.PostOkAsync("/embed", new { model = "qa", inputs = "a text" });
        await server.PostOkAsync("/embed", new { inputs = "a text" });
        string metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Contains("model=\"qa\"", metrics);
        Assert.Contains("model=\"tiny\"", metrics);
    }

    [Fact]
    public void Two_models_of_one_name_are_refused()
    {
        var options = TwoModels() with { AdditionalModels = [new ServedModelSource("tiny", TaskModelDirectory.Head("qa"))] };
        Assert.Contains("two served models are named 'tiny'", Assert.Throws<ArgumentException>(options.Validate).Message);
    }
}
