namespace AlbertGen.Tests.Modeling;

/// <summary>Small configs built in code for behaviour tests.</summary>
public static class TinyModels
{
    public static AlbertConfig Config(
        AlbertActivation activation = AlbertActivation.GeluNew,
        PositionEmbeddingType positions = PositionEmbeddingType.Absolute,
        int layers = 2,
        int groups = 1,
        int inner = 1,
        int numLabels = 2,
        int hidden = 12,
        int heads = 3,
        int intermediate = 20) => new()
        {
            VocabSize = 50,
            EmbeddingSize = 8,
            HiddenSize = hidden,
            NumHiddenLayers = layers,
            NumHiddenGroups = groups,
            InnerGroupNum = inner,
            NumAttentionHeads = heads,
            IntermediateSize = intermediate,
            HiddenAct = activation,
            MaxPositionEmbeddings = 16,
            TypeVocabSize = 2,
            PositionEmbeddingType = positions,
            NumLabels = numLabels,
            Id2Label = Enumerable.Range(0, numLabels).Select(i => $"LABEL_{i}").ToArray(),
            HiddenDropoutProb = 0.1,
            AttentionProbsDropoutProb = 0.1,
        };
}
