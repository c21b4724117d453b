using AlbertGen.Modeling;
using AlbertGen.Tasks;
using AlbertGen.Extensions.AI;
using Microsoft.Extensions.AI;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Tasks;

/// <summary>Sentence embeddings: masked mean / CLS pooling, normalisation, batching, the IEmbeddingGenerator contract.</summary>
public sealed class SentenceEmbeddingTests
{
    private static readonly string[] Texts = ["a short one", "a considerably longer sentence that needs a lot more padding around the others", "x"];

    [Fact]
    public void Mean_pooling_averages_the_last_hidden_state_over_the_tokens()
    {
        using var generator = SentenceEmbeddingGenerator.FromPretrained(TaskModelDirectory.Tiny);
        float[] vector = generator.Embed("the quick brown fox");
        Assert.Equal(32, vector.Length);

        float[] expected = Hidden(generator, "the quick brown fox", cls: false);
        Assert.All(vector.Zip(expected), p => Assert.Equal(p.Second, p.First, 4));
    }

    [Fact]
    public void Cls_pooling_takes_the_first_tokens_state()
    {
        using var generator = SentenceEmbeddingGenerator.FromPretrained(TaskModelDirectory.Tiny, new SentenceEmbeddingOptions { Pooling = EmbeddingPooling.Cls });
        float[] expected = Hidden(generator, "the quick brown fox", cls: true);
        Assert.All(generator.Embed("the quick brown fox").Zip(expected), p => Assert.Equal(p.Second, p.First, 4));
    }

    [Fact]
    public void Normalised_vectors_have_unit_norm()
    {
        using var generator = SentenceEmbeddingGenerator.FromPretrained(TaskModelDirectory.Tiny, new SentenceEmbeddingOptions { Normalize = true });
        Assert.All(generator.Embed(Texts), v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 5));
    }

    [Fact]
    public void Padding_in_a_batch_does_not_change_a_sentences_vector()
    {
        using var generator = SentenceEmbeddingGenerator.FromPretrained(TaskModelDirectory.Tiny);
        float[][] batch = generator.Embed(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            float[] single = generator.Embed(Texts[i]);
            Assert.All(single.Zip(batch[i]), p => Assert.Equal(p.First, p.Second, 4));
        }
    }

    [Fact]
    public async Task It_is_an_embedding_generator_with_metadata()
    {
        using var generator = SentenceEmbeddingGenerator.FromPretrained(TaskModelDirectory.Tiny, options: new PipelineOptions { BatchSize = 2 });
        using IEmbeddingGenerator<string, Embedding<float>> abstraction = generator.AsEmbeddingGenerator("tiny");
        GeneratedEmbeddings<Embedding<float>> embeddings = await abstraction.GenerateAsync(Texts);
        Assert.Equal(Texts.Length, embeddings.Count);
        Assert.All(embeddings, e => Assert.Equal(32, e.Vector.Length));
        Assert.All(embeddings, e => Assert.Equal("tiny", e.ModelId));
        Assert.All(generator.Embed(Texts[1]).Zip(embeddings[1].Vector.ToArray()), p => Assert.Equal(p.First, p.Second, 4));

        var metadata = abstraction.GetService<EmbeddingGeneratorMetadata>();
        Assert.NotNull(metadata);
        Assert.Equal(32, metadata.DefaultModelDimensions);
        Assert.Equal("tiny", metadata.DefaultModelId);
        Assert.Same(generator.Model, abstraction.GetService<AlbertModel>());
        Assert.Same(generator, abstraction.GetService<SentenceEmbeddingGenerator>());
        Assert.Null(abstraction.GetService<string>());

        Embedding<float> one = await abstraction.GenerateAsync("single");
        Assert.Equal(32, one.Vector.Length);
    }

    [Fact]
    public async Task Asking_for_other_dimensions_is_not_supported()
    {
        using var generator = SentenceEmbeddingGenerator.FromPretrained(TaskModelDirectory.Tiny);
        using AlbertEmbeddingGenerator abstraction = generator.AsEmbeddingGenerator();
        await Assert.ThrowsAsync<NotSupportedException>(() => abstraction.GenerateAsync(["a"], new EmbeddingGenerationOptions { Dimensions = 16 }));
    }

    private static float[] Hidden(SentenceEmbeddingGenerator generator, string text, bool cls)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var inputs = generator.Tokenizer.Encode(text).ToTensors();
        using AlbertModelOutput output = generator.Model.forward(new AlbertInputs { InputIds = inputs.InputIds });
        Tensor states = output.LastHiddenState[0]; // [S, H]
        return (cls ? states[0] : states.mean([0])).data<float>().ToArray();
    }
}
