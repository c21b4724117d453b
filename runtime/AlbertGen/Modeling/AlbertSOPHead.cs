using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>Sentence-order prediction head <c>sop_classifier</c>: dropout, then <c>classifier</c> H→num_labels on the pooled output.</summary>
internal sealed class AlbertSOPHead : nn.Module<Tensor, Tensor>
{
    private readonly AlbertLinear classifier;
    private readonly double _dropout;

    public AlbertSOPHead(AlbertConfig config, bool random) : base("AlbertSOPHead")
    {
        classifier = new AlbertLinear(config.HiddenSize, config.NumLabels, random);
        _dropout = config.ClassifierDropoutProb;
        RegisterComponents();
    }

    /// <summary>Scores the pooled output <c>[B, H]</c>; returns <c>[B, num_labels]</c>.</summary>
    public override Tensor forward(Tensor pooled)
    {
        using Tensor dropped = nn.functional.dropout(pooled, _dropout, training);
        return classifier.forward(dropped);
    }
}
