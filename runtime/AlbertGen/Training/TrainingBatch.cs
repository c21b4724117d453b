using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// A padded batch: every row padded with <c>&lt;pad&gt;</c> to the longest row of the batch (dynamic padding), attention
/// mask 0 on padding, token labels -100 on padding. Owns its tensors.
/// </summary>
internal sealed class TrainingBatch : IDisposable
{
    private readonly List<Tensor> _tensors = [];

    private TrainingBatch(IReadOnlyList<EncodedExample> examples)
    {
        Examples = examples;
    }

    /// <summary>The examples in the batch, in order.</summary>
    public IReadOnlyList<EncodedExample> Examples { get; }

    /// <summary>The inputs (labels included when <see cref="Collate"/> was asked for them).</summary>
    public AlbertInputs Inputs { get; private set; } = new();

    /// <summary>Number of real (non-padding) tokens.</summary>
    public long TokenCount { get; private set; }

    /// <summary>Pads and stacks examples. Multiple-choice examples give <c>[B, C, S]</c> inputs, others <c>[B, S]</c>.</summary>
    /// <param name="examples">The examples.</param>
    /// <param name="task">Decides which labels are attached.</param>
    /// <param name="padId">Padding token id.</param>
    /// <param name="withLabels">Whether to attach labels (false for prediction).</param>
    /// <param name="device">Where the tensors are made (the model's device); null = the CPU.</param>
    /// <returns>The batch.</returns>
    public static TrainingBatch Collate(IReadOnlyList<EncodedExample> examples, FineTuneTask task, int padId, bool withLabels = true, Device? device = null)
    {
        var batch = new TrainingBatch(examples);
        int rows = examples[0].InputIds.Length;
        int length = examples.Max(e => e.InputIds.Max(r => r.Length));
        int n = examples.Count;
        var ids = new long[n * rows * length];
        var types = new long[n * rows * length];
        var mask = new long[n * rows * length];
        Array.Fill(ids, padId);
        long tokens = 0;
        for (int b = 0; b < n; b++)
        {
            EncodedExample e = examples[b];
            if (e.InputIds.Length != rows)
            {
                throw new InvalidOperationException($"Example {e.ExampleIndex} has {e.InputIds.Length} choices; the batch has {rows}. Every example needs the same number of choices.");
            }

            for (int r = 0; r < rows; r++)
            {
                int offset = ((b * rows) + r) * length;
                for (int t = 0; t < e.InputIds[r].Length; t++)
                {
                    ids[offset + t] = e.InputIds[r][t];
                    types[offset + t] = e.TokenTypeIds[r][t];
                    mask[offset + t] = 1;
                }

                tokens += e.InputIds[r].Length;
            }
        }

        long[] shape = task == FineTuneTask.MultipleChoice ? [n, rows, length] : [n, length];
        Tensor Keep(Tensor t)
        {
            t.DetachFromDisposeScope(); // the batch owns it, whatever scope collates it
            batch._tensors.Add(t);
            return t;
        }

        Tensor? labels = null, start = null, end = null;
        if (withLabels)
        {
            switch (task)
            {
                case FineTuneTask.SequenceClassification:
                case FineTuneTask.MultipleChoice:
                    labels = Keep(tensor(examples.Select(e => e.ClassLabel).ToArray(), device: device));
                    break;
                case FineTuneTask.Regression:
                case FineTuneTask.MultiLabelClassification:
                    int width = examples[0].FloatLabels!.Length;
                    labels = Keep(tensor(examples.SelectMany(e => e.FloatLabels!).ToArray(), [n, width], device: device));
                    if (task == FineTuneTask.Regression)
                    {
                        labels = Keep(labels.view(n));
                    }

                    break;
                case FineTuneTask.TokenClassification:
                    var tokenLabels = new long[n * length];
                    Array.Fill(tokenLabels, -100L);
                    for (int b = 0; b < n; b++)
                    {
                        Array.Copy(examples[b].TokenLabels!, 0, tokenLabels, b * length, examples[b].TokenLabels!.Length);
                    }

                    labels = Keep(tensor(tokenLabels, [n, length], device: device));
                    break;
                case FineTuneTask.QuestionAnswering:
                    start = Keep(tensor(examples.Select(e => e.StartPosition).ToArray(), device: device));
                    end = Keep(tensor(examples.Select(e => e.EndPosition).ToArray(), device: device));
                    break;
            }
        }

        batch.Inputs = new AlbertInputs
        {
            InputIds = Keep(tensor(ids, shape, device: device)),
            TokenTypeIds = Keep(tensor(types, shape, device: device)),
            AttentionMask = Keep(tensor(mask, shape, device: device)),
            Labels = labels,
            StartPositions = start,
            EndPositions = end,
        };
        batch.TokenCount = tokens;
        return batch;
    }

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        foreach (Tensor t in _tensors)
        {
            t.Dispose();
        }

        _tensors.Clear();
    }
}
