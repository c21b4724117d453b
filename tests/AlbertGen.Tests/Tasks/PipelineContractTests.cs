using AlbertGen.Modeling;
using AlbertGen.Tasks;
using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Tasks;

/// <summary>What every pipeline promises: loading, length limits, cancellation, ownership, concurrent use.</summary>
public sealed class PipelineContractTests
{
    [Fact]
    public void A_directory_without_a_tokenizer_is_reported_by_name()
    {
        var e = Assert.Throws<FileNotFoundException>(() => FillMaskPipeline.FromPretrained(SharedFolder.Model("tiny")));
        Assert.Contains("spiece.model", e.Message);
    }

    [Fact]
    public void Without_truncation_a_too_long_input_is_refused_with_its_length()
    {
        using var pipeline = TextClassificationPipeline.FromPretrained(TaskModelDirectory.Head("seqcls-single3"), new PipelineOptions { Truncation = false });
        string text = string.Join(" ", Enumerable.Repeat("word", 100));
        var e = Assert.Throws<InputTooLongException>(() => pipeline.Classify(text));
        Assert.Contains("at most 64", e.Message);
        Assert.Equal(64, e.MaxTokens);
        Assert.True(e.Tokens > 64, $"{e.Tokens} tokens");
    }

    [Fact]
    public void With_truncation_a_long_input_is_cut_to_the_models_length()
    {
        using var pipeline = TextClassificationPipeline.FromPretrained(TaskModelDirectory.Head("seqcls-single3"));
        string text = string.Join(" ", Enumerable.Repeat("word", 100));
        Assert.Equal(64, pipeline.MaxLength);
        Assert.Single(pipeline.Classify(text));
    }

    [Fact]
    public void A_max_length_beyond_the_model_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenClassificationPipeline.FromPretrained(TaskModelDirectory.Head("tokcls5"), new PipelineOptions { MaxLength = 65 }));
    }

    [Fact]
    public void A_tokenizer_of_another_vocabulary_is_refused()
    {
        using var model = new AlbertForMaskedLM(new AlbertConfig { VocabSize = 50, EmbeddingSize = 8, HiddenSize = 12, NumAttentionHeads = 3, IntermediateSize = 20, NumHiddenLayers = 1 });
        AlbertTokenizer tokenizer = AlbertTokenizer.FromFile(Path.Combine(SharedFolder.Tokenizer, "spiece.model"));
        Assert.Throws<ArgumentException>(() => new FillMaskPipeline(model, tokenizer));
    }

    [Fact]
    public void A_cancelled_batch_stops()
    {
        using var pipeline = SentenceEmbeddingGenerator.FromPretrained(TaskModelDirectory.Tiny);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => pipeline.Embed(["a", "b"], cancelled.Token));
    }

    [Fact]
    public void A_pipeline_built_on_a_model_leaves_it_alone_unless_it_owns_it()
    {
        string dir = TaskModelDirectory.Tiny;
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(dir);
        AlbertTokenizer tokenizer = AlbertTokenizer.FromFile(Path.Combine(dir, "spiece.model"), AlbertTokenizerOptions.ForConfig(model.Config));
        var pipeline = new FillMaskPipeline(model, tokenizer);
        FillMaskResult first = pipeline.Predict("a [MASK] b");
        pipeline.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pipeline.Predict("a [MASK] b"));

        using var again = new FillMaskPipeline(model, tokenizer); // the model is still usable
        Assert.Equal(first.Masks[0][0].Token, again.Predict("a [MASK] b").Masks[0][0].Token);
    }

    [Fact]
    public async Task Concurrent_calls_give_the_same_results_as_sequential_ones()
    {
        using var pipeline = TextClassificationPipeline.FromPretrained(TaskModelDirectory.Head("seqcls-single3"));
        string[] texts = [.. Enumerable.Range(0, 16).Select(i => $"text number {i} with {new string('a', i)}")];
        float[] sequential = [.. texts.Select(t => pipeline.Classify(t)[0].Score)];
        float[] parallel = await Task.WhenAll(texts.Select(t => Task.Run(() => pipeline.Classify(t)[0].Score)));
        Assert.Equal(sequential, parallel);
    }
}
