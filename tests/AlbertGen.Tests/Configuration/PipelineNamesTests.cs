using AlbertGen.Batch;

namespace AlbertGen.Tests.Configuration;

/// <summary>
/// The JSON-lines task names are compile-time constants (System.Text.Json's type discriminators must be), so they cannot
/// be read from <see cref="AlbertHeadRegistry"/>; this holds them to it.
/// </summary>
public sealed class PipelineNamesTests
{
    [Fact]
    public void The_jsonl_task_names_are_the_registrys_pipeline_names()
    {
        Assert.Equal(EmbedLinesSettings.Name, AlbertHeadRegistry.Of(AlbertHeads.None).Pipeline);
        Assert.Equal(FillMaskLinesSettings.Name, AlbertHeadRegistry.Of(AlbertHeads.MaskedLM).Pipeline);
        Assert.Equal(ClassifyLinesSettings.Name, AlbertHeadRegistry.Of(AlbertHeads.SequenceClassification).Pipeline);
        Assert.Equal(TagLinesSettings.Name, AlbertHeadRegistry.Of(AlbertHeads.TokenClassification).Pipeline);
    }
}
