using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using AlbertGen.Server.Engine;
using AlbertGen.Tests;

namespace AlbertGen.Server.Tests;

/// <summary>
/// The request path on the pipelines' stages: each input is tokenised once, the planner's passes stay within the token
/// budget even for long contexts, and text that is not text is the client's error.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class StagedRequestTests(ServerPool servers)
{
    [Fact]
    public async Task Each_input_is_tokenised_once_per_request()
    {
        RunningServer server = await servers.Tiny;
        ServedModel model = server.Host.Model!;
        long before = model.TokenizerCalls;
        await server.PostOkAsync("/embed", new { inputs = new[] { "one text", "a second text", "and a third" } });
        Assert.Equal(3, model.TokenizerCalls - before);

        before = model.TokenizerCalls;
        await server.PostOkAsync("/v1/embeddings", new { input = "a single text" });
        Assert.Equal(1, model.TokenizerCalls - before);

        before = model.TokenizerCalls;
        await server.PostOkAsync("/fill-mask", new { inputs = new[] { "the [MASK] sat", "a [MASK] ran" } });
        Assert.Equal(2, model.TokenizerCalls - before);
    }

    [Fact]
    public async Task A_question_is_tokenised_once_for_its_cut_and_once_with_its_context()
    {
        RunningServer server = await servers.Head("qa");
        ServedModel model = server.Host.Model!;
        string context = string.Join(" ", Enumerable.Repeat("George went to Washington and came back the next day.", 12));
        long before = model.TokenizerCalls;
        await server.PostOkAsync("/question-answering", new { inputs = new { question = "who went?", context }, parameters = new { max_seq_len = 48, doc_stride = 16 } });
        // The question alone (to cut it to max_question_len, as HuggingFace does), then the question with the context:
        // every window comes from that one encoding.
        Assert.Equal(2, model.TokenizerCalls - before);
    }

    [Fact]
    public async Task A_long_context_with_a_small_token_budget_never_makes_a_pass_over_the_budget()
    {
        const int budget = 100;
        AlbertServerOptions options = ServerPool.Options(TaskModelDirectory.Head("qa")) with { MaxBatchTokens = budget };
        await using RunningServer server = await RunningServer.StartAsync(options);
        var plans = new ConcurrentQueue<(int Rows, int Padded)>();
        server.Host.Queue.BatchPlanned += batch => plans.Enqueue((batch.Sum(i => i.Rows), batch.Sum(i => i.Rows) * batch.Max(i => i.Length)));
        string context = string.Join(" ", Enumerable.Repeat("George went to Washington and came back the next day.", 12));

        var body = await server.PostOkAsync("/question-answering", new { inputs = new { question = "who went?", context }, parameters = new { max_seq_len = 48, doc_stride = 16 } });

        var expected = Library.QuestionAnswering.Answer(question: "who went?", context, new Tasks.QuestionAnsweringOptions { MaxSeqLength = 48, DocStride = 16 });
        Assert.True(expected.WindowCount > 2, $"the context must need several windows; it has {expected.WindowCount}");
        Assert.Equal(expected.Answers[0].Answer, body.GetProperty("answer").GetString());
        Assert.Equal(expected.WindowCount, plans.Sum(p => p.Rows)); // every window ran, and once
        Assert.True(plans.Count > 1, "the windows do not fit one pass of the budget, so they need several");
        Assert.All(plans, p => Assert.True(p.Padded <= budget, $"a pass of {p.Rows} rows has {p.Padded} padded tokens, over the budget of {budget}"));
    }

    [Theory]
    [InlineData("{\"inputs\": \"\\ud800\"}", "\"inputs\"")]
    [InlineData("{\"inputs\": [\"fine\", \"a \\udc00 b\"]}", "\"inputs[1]\"")]
    public async Task A_lone_surrogate_is_422_naming_the_field(string json, string field)
    {
        RunningServer server = await servers.Tiny;
        var (type, message) = await server.FailsAsync("/embed", json, 422);
        Assert.Equal("validation", type);
        Assert.Contains(field, message);
        Assert.Contains("surrogate", message);
    }

    [Fact]
    public async Task Invalid_utf8_in_a_string_is_422_naming_the_field()
    {
        RunningServer server = await servers.Tiny;
        byte[] json = [.. Encoding.ASCII.GetBytes("{\"inputs\": \"bad "), 0xC3, 0x28, .. Encoding.ASCII.GetBytes(" text\"}")];
        using var content = new ByteArrayContent(json);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        HttpResponseMessage response = await server.Client.PostAsync("/embed", content);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 422, $"{(int)response.StatusCode} {body}");
        Assert.Contains("inputs", body);
        Assert.DoesNotContain("   at ", body); // no stack trace
    }
}
