using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Training;

/// <summary>Tiny configs, the fixture tokenizer and temporary folders for the training tests.</summary>
public static class TrainingFixtures
{
    private static readonly Lazy<AlbertTokenizer> LazyTokenizer =
        new(() => AlbertTokenizer.FromFile(Path.Combine(SharedFolder.Tokenizer, "spiece.model")));

    /// <summary>The shared fixture's ALBERT-style SentencePiece model (1000 pieces).</summary>
    public static AlbertTokenizer Tokenizer => LazyTokenizer.Value;

    /// <summary>A tiny ALBERT over the fixture vocabulary.</summary>
    public static AlbertConfig TinyConfig(double dropout = 0.0, int layers = 2) => new()
    {
        VocabSize = 1000,
        EmbeddingSize = 16,
        HiddenSize = 32,
        NumHiddenLayers = layers,
        NumAttentionHeads = 2,
        IntermediateSize = 64,
        MaxPositionEmbeddings = 64,
        HiddenDropoutProb = dropout,
        AttentionProbsDropoutProb = dropout,
        ClassifierDropoutProb = dropout,
    };

    /// <summary>The repository root (the folder holding AlbertGen.sln).</summary>
    public static string RepositoryRoot
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "AlbertGen.sln")))
            {
                dir = Path.GetDirectoryName(dir);
            }

            return dir ?? throw new InvalidOperationException("AlbertGen.sln not found above the test binaries.");
        }
    }
}
