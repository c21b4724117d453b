using AlbertGen.Tests;

namespace AlbertGen.Server.Tests;

/// <summary>Bad requests get TEI's <c>{"error", "error_type"}</c> with a 4xx naming the problem; none is a 5xx.</summary>
[Collection(ServerCollection.Name)]
public sealed class ErrorTests(ServerPool servers)
{
    [Theory]
    [InlineData("{\"inputs\": ", 400, "validation", "not valid JSON")]
    [InlineData("", 400, "validation", "not valid JSON")]
    [InlineData("[1, 2]", 422, "validation", "must be a JSON object")]
    [InlineData("{}", 422, "validation", "\"inputs\" is missing")]
    [InlineData("{\"inputs\": 5}", 422, "validation", "a string or a list of strings, not a number 5")]
    [InlineData("{\"inputs\": [\"a\", 7]}", 422, "validation", "a string or a list of strings")]
    [InlineData("{\"inputs\": \"a\", \"normalize\": \"yes\"}", 422, "validation", "\"normalize\" must be true or false")]
    [InlineData("{\"inputs\": \"a\", \"dimensions\": 0}", 422, "validation", "\"dimensions\" must be at least 1")]
    [InlineData("{\"inputs\": []}", 400, "empty", "cannot be empty")]
    [InlineData("{\"inputs\": \"\"}", 400, "empty", "inputs cannot be empty")]
    [InlineData("{\"inputs\": [\"a\", \"\"]}", 400, "empty", "inputs[1] cannot be empty")]
    public async Task Malformed_embed_requests_are_4xx_with_tei_errors(string json, int status, string type, string message)
    {
        RunningServer server = await servers.Tiny;
        var (actualType, actualMessage) = await server.FailsAsync("/embed", json, status);
        Assert.Equal(type, actualType);
        Assert.Contains(message, actualMessage);
    }

    [Fact]
    public async Task A_client_batch_over_the_limit_is_413()
    {
        RunningServer server = await servers.Tiny;
        string json = "{\"inputs\": [" + string.Join(",", Enumerable.Repeat("\"a\"", 33)) + "]}";
        var (type, message) = await server.FailsAsync("/embed", json, 413);
        Assert.Equal("validation", type);
        Assert.Contains("batch size 33 > maximum allowed batch size 32", message);
    }

    [Fact]
    public async Task An_overlong_text_is_truncated_by_default_and_refused_with_truncate_false()
    {
        RunningServer server = await servers.Tiny;
        string text = string.Join(" ", Enumerable.Repeat("word", 200)); // the tiny model takes 64 tokens
        System.Text.Json.JsonElement body = await server.PostOkAsync("/embed", new { inputs = text });
        Library.Close(Library.Embeddings(TaskModelDirectory.Tiny, normalize: true).Embed(text), Library.Floats(body[0]));
        var (type, message) = await server.FailsAsync("/embed", $"{{\"inputs\": \"{text}\", \"truncate\": false}}", 413);
        Assert.Equal("validation", type);
        Assert.Contains("the model takes at most 64", message);
    }

    [Fact]
    public async Task Routes_the_heads_cannot_serve_are_400_naming_the_head_and_the_routes_that_work()
    {
        RunningServer server = await servers.Tiny;
        var (type, message) = await server.FailsAsync("/predict", "{\"inputs\": \"a\"}", 400);
        Assert.Equal("backend", type);
        Assert.Contains("AlbertForSequenceClassification", message);
        Assert.Contains("/fill-mask", message);
        RunningServer classifier = await servers.Head("seqcls-single3");
        Assert.Contains("this one has 3 labels, use /predict", (await classifier.FailsAsync("/rerank", "{\"query\": \"q\", \"texts\": [\"a\"]}", 400)).Message);
        Assert.Contains("AlbertForMaskedLM", (await classifier.FailsAsync("/fill-mask", "{\"inputs\": \"[MASK]\"}", 400)).Message);
    }

    [Fact]
    public async Task Task_route_inputs_are_checked_before_they_reach_the_model()
    {
        RunningServer tiny = await servers.Tiny;
        Assert.Contains("inputs has no [MASK] token", (await tiny.FailsAsync("/fill-mask", "{\"inputs\": \"no mask here\"}", 422)).Message);
        Assert.Contains("inputs[1] has no [MASK]", (await tiny.FailsAsync("/fill-mask", "{\"inputs\": [\"a [MASK]\", \"none\"]}", 422)).Message);
        Assert.Contains("\"parameters\" must be an object", (await tiny.FailsAsync("/fill-mask", "{\"inputs\": \"[MASK]\", \"parameters\": 3}", 422)).Message);
        Assert.Contains("\"top_k\" must be at least 1", (await tiny.FailsAsync("/fill-mask", "{\"inputs\": \"[MASK]\", \"parameters\": {\"top_k\": 0}}", 422)).Message);
        Assert.Contains("token ids are integers from 0 to 999", (await tiny.FailsAsync("/decode", "{\"ids\": [5, 100000]}", 422)).Message);
        RunningServer tagger = await servers.Head("tokcls5");
        Assert.Contains("none, simple, first, average or max", (await tagger.FailsAsync("/token-classification", "{\"inputs\": \"a\", \"parameters\": {\"aggregation_strategy\": \"best\"}}", 422)).Message);
        RunningServer qa = await servers.Head("qa");
        Assert.Contains("\"context\" is missing", (await qa.FailsAsync("/question-answering", "{\"inputs\": {\"question\": \"q\"}}", 422)).Message);
        RunningServer predict = await servers.Head("seqcls-single3");
        Assert.Contains("wrap each text in a list", (await predict.FailsAsync("/predict", "{\"inputs\": [\"a\", \"b\", \"c\"]}", 422)).Message);
        RunningServer mc = await servers.Head("multiplechoice");
        Assert.Equal("empty", (await mc.FailsAsync("/multiple-choice", "{\"inputs\": {\"prompt\": \"p\", \"choices\": []}}", 400)).Type);
    }

    [Fact]
    public async Task Unknown_routes_are_a_json_404_and_wrong_methods_a_405()
    {
        RunningServer server = await servers.Tiny;
        HttpResponseMessage missing = await server.Client.GetAsync("/generate");
        Assert.Equal(404, (int)missing.StatusCode);
        Assert.Contains("GET /info lists those this model serves", await missing.Content.ReadAsStringAsync());
        HttpResponseMessage wrongMethod = await server.Client.GetAsync("/embed");
        Assert.Equal(405, (int)wrongMethod.StatusCode);
    }
}
