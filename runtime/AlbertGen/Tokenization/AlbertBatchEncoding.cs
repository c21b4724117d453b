using System.Collections;
using TorchSharp;

namespace AlbertGen.Tokenization;

/// <summary>
/// The rows of an encoded batch: one per input, or several per input when overflow windows were requested
/// (<see cref="OverflowToSampleMapping"/> says which input each row came from).
/// </summary>
public sealed class AlbertBatchEncoding : IReadOnlyList<AlbertEncoding>
{
    private readonly AlbertEncoding[] _rows;
    private readonly int[] _sampleOfRow;

    internal AlbertBatchEncoding(AlbertEncoding[] rows, int[] sampleOfRow)
    {
        _rows = rows;
        _sampleOfRow = sampleOfRow;
    }

    /// <summary>Number of rows.</summary>
    public int Count => _rows.Length;

    /// <summary>Row <paramref name="index"/>.</summary>
    /// <param name="index">Row index.</param>
    public AlbertEncoding this[int index] => _rows[index];

    /// <summary>For each row, the index of the input it encodes (HF <c>overflow_to_sample_mapping</c>).</summary>
    public IReadOnlyList<int> OverflowToSampleMapping => _sampleOfRow;

    /// <summary>
    /// The batch as int64 tensors of shape [rows, length], ready for the model. Rows must have one length:
    /// encode with <see cref="PaddingStrategy.Longest"/> or <see cref="PaddingStrategy.MaxLength"/> when inputs differ.
    /// </summary>
    /// <param name="device">Where to create the tensors; null = CPU.</param>
    /// <exception cref="InvalidOperationException">Rows differ in length, or the batch is empty.</exception>
    public AlbertInputTensors ToTensors(torch.Device? device = null) => AlbertInputTensors.Create(_rows, device);

    /// <inheritdoc/>
    public IEnumerator<AlbertEncoding> GetEnumerator() => ((IEnumerable<AlbertEncoding>)_rows).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
