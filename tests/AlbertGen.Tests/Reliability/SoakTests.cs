using AlbertGen.Modeling;
using AlbertGen.Soak;
using AlbertGen.Tests.Modeling;
using AlbertGen.Tokenization;
using Xunit.Abstractions;

namespace AlbertGen.Tests.Reliability;

/// <summary>
/// The short soak (the long one is <c>tests/AlbertGen.Soak</c>): after warm-up, repeated inference leaves no live tensor
/// behind and resident memory stays flat. The RSS bound is loose (other test classes run beside this one and share the
/// process); the tensor count is exact.
/// </summary>
[Trait("Category", "Slow")]
[Collection(nameof(LiveTensorCount))]
public sealed class SoakTests(ITestOutputHelper log)
{
    private const double RssTolerance = 0.15;

    private static string[] Texts() => SoakRunner.Texts(Path.Combine(SharedFolder.Root, "corpora", "tinyshakespeare.txt"), 200);

    private static AlbertTokenizer Tokenizer() => AlbertTokenizer.FromFile(Path.Combine(SharedFolder.Tokenizer, "spiece.model"));

    [Fact]
    public void Three_hundred_tiny_fill_mask_inferences_leave_memory_flat()
    {
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny"));
        using var pipeline = new AlbertGen.Tasks.FillMaskPipeline(model, Tokenizer());
        SoakFigures figures = SoakRunner.Run("tiny", 30, 300, SoakRunner.FillMaskStep(pipeline, Texts()));
        log.WriteLine(figures.ToString());

        Assert.Equal(figures.TensorsWarm, figures.TensorsEnd);
        Assert.True(figures.RssGrowth < RssTolerance, figures.ToString());
    }

    [Fact]
    public void Twenty_anchor_inferences_leave_memory_flat()
    {
        using AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Anchor);
        SoakFigures figures = SoakRunner.Run("anchor", 16 - 4 + 1, 20, SoakRunner.RandomIdsStep(model, minLength: 4, maxLength: 16));
        log.WriteLine(figures.ToString());

        Assert.Equal(figures.TensorsWarm, figures.TensorsEnd);
        Assert.True(figures.RssGrowth < RssTolerance, figures.ToString());
    }

    [Fact]
    public void Two_thousand_tokenizer_calls_leave_memory_flat()
    {
        AlbertTokenizer tokenizer = Tokenizer();
        string[] texts = Texts();
        SoakFigures figures = SoakRunner.Run("tokenizer", 400, 2000, SoakRunner.TokenizerStep(tokenizer, texts));
        log.WriteLine(figures.ToString());

        Assert.True(figures.RssGrowth < RssTolerance, figures.ToString());
        Assert.True(figures.ManagedEndBytes - figures.ManagedWarmBytes < 16 << 20, figures.ToString());
    }
}
