using AlbertGen.Tasks;
using Microsoft.Extensions.AI;

namespace AlbertGen.Extensions.AI;

/// <summary>
/// A <see cref="SentenceEmbeddingGenerator"/> as a <c>Microsoft.Extensions.AI</c>
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>: one vector of <c>hidden_size</c> floats per text.
/// </summary>
/// <example><code>
/// using var sentences = SentenceEmbeddingGenerator.FromPretrained("models/my-albert");
/// using IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt; generator = sentences.AsEmbeddingGenerator("my-albert");
/// </code></example>
public sealed class AlbertEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The provider name in <see cref="Metadata"/>.</summary>
    public const string ProviderName = "AlbertGen";

    private readonly bool _ownsInner;

    /// <summary>Wraps a sentence-embedding pipeline.</summary>
    /// <param name="inner">The pipeline that computes the vectors.</param>
    /// <param name="modelId">The model id reported in <see cref="Metadata"/> and on each embedding; null = none.</param>
    /// <param name="ownsInner">Whether disposing this generator disposes <paramref name="inner"/>.</param>
    public AlbertEmbeddingGenerator(SentenceEmbeddingGenerator inner, string? modelId = null, bool ownsInner = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Inner = inner;
        ModelId = modelId;
        _ownsInner = ownsInner;
        Metadata = new EmbeddingGeneratorMetadata(ProviderName, null, modelId, inner.Dimensions);
    }

    /// <summary>The pipeline that computes the vectors.</summary>
    public SentenceEmbeddingGenerator Inner { get; }

    /// <summary>The model id reported on each embedding, or null.</summary>
    public string? ModelId { get; }

    /// <summary>Provider <c>AlbertGen</c>, the model id, and <c>hidden_size</c> dimensions.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException"><see cref="EmbeddingGenerationOptions.Dimensions"/> asks for another size than the model's.</exception>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options?.Dimensions is int requested && requested != Inner.Dimensions)
        {
            throw new NotSupportedException($"This model's embeddings have {Inner.Dimensions} dimensions; {requested} were requested.");
        }

        string[] texts = [.. values];
        return Task.Run(() =>
        {
            float[][] vectors = Inner.Embed(texts, cancellationToken);
            DateTimeOffset now = DateTimeOffset.UtcNow;
            return new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = ModelId, CreatedAt = now }));
        }, cancellationToken);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            return Metadata;
        }

        object[] services = [this, Inner, Inner.Model, Inner.Tokenizer];
        return services.FirstOrDefault(serviceType.IsInstanceOfType);
    }

    /// <summary>Disposes <see cref="Inner"/> when this generator owns it.</summary>
    public void Dispose()
    {
        if (_ownsInner)
        {
            Inner.Dispose();
        }
    }
}

/// <summary><see cref="AlbertEmbeddingGenerator"/> from a pipeline.</summary>
public static class SentenceEmbeddingGeneratorExtensions
{
    /// <summary>The pipeline as an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> (which does not dispose it).</summary>
    /// <param name="generator">The pipeline.</param>
    /// <param name="modelId">The model id reported in metadata and on each embedding; null = none.</param>
    /// <returns>The wrapper.</returns>
    public static AlbertEmbeddingGenerator AsEmbeddingGenerator(this SentenceEmbeddingGenerator generator, string? modelId = null) =>
        new(generator, modelId);
}
