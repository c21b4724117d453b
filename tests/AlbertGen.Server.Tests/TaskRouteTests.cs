using System.Text.Json;
using AlbertGen.Tasks;

namespace AlbertGen.Server.Tests;

/// <summary>The head routes: TEI's /predict and /rerank, the HuggingFace task routes; each result equals the library's.</summary>
[Collection(ServerCollection.Name)]
public sealed class TaskRouteTests(ServerPool servers)
{
    [Fact]
    public async Task Fill_mask_of_one_text_is_the_pipeline_candidates_with_huggingface_fields()
    {
        RunningServer server = await servers.Tiny;
        const string text = "the quick brown [MASK] jumps";
        JsonElement body = await server.PostOkAsync("/fill-mask", new { inputs = text, parameters = new { top_k = 3 } });
        IReadOnlyList<FillMaskCandidate> expected = Library.FillMask.Predict(text, topK: 3).Masks[0];
        Assert.Equal(expected.Count, body.GetArrayLength());
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Token, body[i].GetProperty("token").GetInt32());
            Assert.Equal(expected[i].TokenStr, body[i].GetProperty("token_str").GetString());
            Assert.Equal(expected[i].Sequence, body[i].GetProperty("sequence").GetString());
            Assert.Equal(expected[i].Score, body[i].GetProperty("score").GetSingle(), 5);
        }
    }

    [Fact]
    public async Task Fill_mask_of_a_batch_gives_a_list_per_text_and_a_list_per_mask()
    {
        RunningServer server = await servers.Tiny;
        JsonElement body = await server.PostOkAsync("/fill-mask", new { inputs = new[] { "[MASK] and [MASK]", "one [MASK]" }, parameters = new { targets = new[] { "▁the", "▁and" } } });
        Assert.Equal(2, body.GetArrayLength());
        Assert.Equal(2, body[0].GetArrayLength());                       // two masks
        Assert.All(body[0].EnumerateArray(), m => Assert.Equal(2, m.GetArrayLength())); // two targets each
        Assert.Equal(JsonValueKind.Object, body[1][0].ValueKind);        // one mask: the candidates directly
        FillMaskResult expected = Library.FillMask.Predict("one [MASK]", targets: ["▁the", "▁and"]);
        Assert.Equal(expected.Masks[0][0].Token, body[1][0].GetProperty("token").GetInt32());
    }

    [Fact]
    public async Task Predict_gives_every_label_best_first_as_the_library_for_texts_pairs_and_batches()
    {
        RunningServer server = await servers.Head("seqcls-single3");
        TextClassificationPipeline<string> library = Library.Classifier("seqcls-single3");

        JsonElement single = await server.PostOkAsync("/predict", new { inputs = "a good day" });
        AssertPredictions(library.Classify("a good day", topK: null), single);

        JsonElement pair = await server.PostOkAsync("/predict", new { inputs = new[] { "a good day", "yes" } });
        AssertPredictions(library.Classify("a good day", "yes", topK: null), pair);

        JsonElement batch = await server.PostOkAsync("/predict", new { inputs = new[] { new[] { "first" }, new[] { "second", "pair" } }, raw_scores = true });
        AssertPredictions(library.Classify("first", topK: null, function: ClassificationFunction.None), batch[0]);
        AssertPredictions(library.Classify("second", "pair", topK: null, function: ClassificationFunction.None), batch[1]);
    }

    [Fact]
    public async Task Rerank_scores_query_text_pairs_with_the_sigmoid_of_the_one_label_best_first()
    {
        RunningServer server = await servers.Head("seqcls-regression1");
        string[] texts = ["a text about nothing", "the answer to it", "something else entirely"];
        JsonElement body = await server.PostOkAsync("/rerank", new { query = "what is it", texts, return_text = true });
        float[] raw = [.. texts.Select(t => Library.Classifier("seqcls-regression1").Classify("what is it", t, function: ClassificationFunction.None)[0].Score)];
        int[] order = [.. Enumerable.Range(0, texts.Length).OrderByDescending(i => raw[i])];
        Assert.Equal(order, body.EnumerateArray().Select(r => r.GetProperty("index").GetInt32()));
        foreach (JsonElement rank in body.EnumerateArray())
        {
            int index = rank.GetProperty("index").GetInt32();
            Assert.Equal(1 / (1 + Math.Exp(-raw[index])), rank.GetProperty("score").GetDouble(), 5);
            Assert.Equal(texts[index], rank.GetProperty("text").GetString());
        }

        JsonElement rawBody = await server.PostOkAsync("/rerank", new { query = "what is it", texts });
        Assert.False(rawBody[0].TryGetProperty("text", out _));
    }

    [Fact]
    public async Task Token_classification_groups_with_simple_by_default_and_gives_tokens_with_none()
    {
        RunningServer server = await servers.Head("tokcls5");
        const string text = "George Washington went to Washington";
        JsonElement grouped = await server.PostOkAsync("/token-classification", new { inputs = text });
        IReadOnlyList<TokenEntity> expected = Library.Tagger.Predict(text, AggregationStrategy.Simple);
        Assert.Equal(expected.Count, grouped.GetArrayLength());
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Entity, grouped[i].GetProperty("entity_group").GetString());
            Assert.Equal(expected[i].Word, grouped[i].GetProperty("word").GetString());
            Assert.Equal(expected[i].Start, grouped[i].GetProperty("start").GetInt32());
            Assert.Equal(expected[i].Score, grouped[i].GetProperty("score").GetSingle(), 5);
        }

        JsonElement tokens = await server.PostOkAsync("/token-classification", new { inputs = new[] { text }, parameters = new { aggregation_strategy = "none" } });
        IReadOnlyList<TokenEntity> perToken = Library.Tagger.Predict(text, AggregationStrategy.None);
        Assert.Equal(perToken.Count, tokens[0].GetArrayLength());
        Assert.All(tokens[0].EnumerateArray().Zip(perToken), p =>
        {
            Assert.Equal(p.Second.Entity, p.First.GetProperty("entity").GetString());
            Assert.Equal(p.Second.Index, p.First.GetProperty("index").GetInt32());
        });
    }

    [Fact]
    public async Task Question_answering_gives_one_answer_object_or_a_list_with_top_k()
    {
        RunningServer server = await servers.Head("qa");
        const string question = "who went?";
        string context = string.Join(" ", Enumerable.Repeat("George went to Washington and came back the next day.", 12));
        JsonElement one = await server.PostOkAsync("/question-answering", new { inputs = new { question, context } });
        ExtractedAnswer best = Library.QuestionAnswering.Answer(question, context).Answers[0];
        Assert.Equal(best.Answer, one.GetProperty("answer").GetString());
        Assert.Equal(best.Start, one.GetProperty("start").GetInt32());
        Assert.Equal(best.End, one.GetProperty("end").GetInt32());
        Assert.Equal(best.Score, one.GetProperty("score").GetSingle(), 5);

        var options = new QuestionAnsweringOptions { TopK = 3, DocStride = 16, MaxSeqLength = 48 };
        JsonElement three = await server.PostOkAsync("/question-answering", new { inputs = new[] { new { question, context } }, parameters = new { top_k = 3, doc_stride = 16, max_seq_len = 48 } });
        IReadOnlyList<ExtractedAnswer> expected = Library.QuestionAnswering.Answer(question, context, options).Answers;
        Assert.Equal(expected.Select(a => (a.Start, a.End)), three[0].EnumerateArray().Select(a => (a.GetProperty("start").GetInt32(), a.GetProperty("end").GetInt32())));
    }

    [Fact]
    public async Task Multiple_choice_scores_every_choice_in_order_as_the_library()
    {
        RunningServer server = await servers.Head("multiplechoice");
        string[] choices = ["a cat", "a dog", "a bird"];
        JsonElement body = await server.PostOkAsync("/multiple-choice", new { inputs = new { prompt = "the animal is", choices } });
        IReadOnlyList<ChoiceScore> expected = Library.MultipleChoice.Choose("the animal is", choices);
        Assert.Equal(3, body.GetArrayLength());
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(i, body[i].GetProperty("index").GetInt32());
            Assert.Equal(choices[i], body[i].GetProperty("choice").GetString());
            Assert.Equal(expected[i].Score, body[i].GetProperty("score").GetSingle(), 5);
        }
    }

    [Fact]
    public async Task Tokenize_gives_tei_tokens_with_offsets_and_decode_inverts_it()
    {
        RunningServer server = await servers.Tiny;
        const string text = "Hello world";
        JsonElement body = await server.PostOkAsync("/tokenize", new { inputs = text });
        JsonElement tokens = body[0];
        var encoding = Library.FillMask.Tokenizer.Encode(text);
        Assert.Equal(encoding.InputIds, tokens.EnumerateArray().Select(t => t.GetProperty("id").GetInt32()));
        Assert.True(tokens[0].GetProperty("special").GetBoolean());
        Assert.Equal(JsonValueKind.Null, tokens[0].GetProperty("start").ValueKind);
        JsonElement first = tokens[1];
        Assert.False(first.GetProperty("special").GetBoolean());
        Assert.Equal(text[first.GetProperty("start").GetInt32()..first.GetProperty("stop").GetInt32()], first.GetProperty("text").GetString());

        JsonElement decoded = await server.PostOkAsync("/decode", new { ids = encoding.InputIds });
        Assert.Equal(Library.FillMask.Tokenizer.Decode(encoding.InputIds, skipSpecialTokens: true), decoded[0].GetString());
        JsonElement both = await server.PostOkAsync("/decode", new { ids = new[] { encoding.InputIds, encoding.InputIds }, skip_special_tokens = false });
        Assert.Equal(2, both.GetArrayLength());
        Assert.StartsWith("[CLS]", both[1].GetString());
    }

    private static void AssertPredictions(IReadOnlyList<TextClassification<string>> expected, JsonElement actual)
    {
        Assert.Equal(expected.Count, actual.GetArrayLength());
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].LabelName, actual[i].GetProperty("label").GetString());
            Assert.Equal(expected[i].Score, actual[i].GetProperty("score").GetSingle(), 5);
        }
    }
}
