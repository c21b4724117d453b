using AlbertGen.Tokenization;

namespace AlbertGen.Training;

/// <summary>
/// Raw text for pretraining in the format of BERT's and ALBERT's <c>create_pretraining_data.py</c>: one sentence (or line)
/// per line, documents separated by blank lines. Each line is tokenised once into a segment of ids.
/// </summary>
internal sealed class PretrainingCorpus
{
    private PretrainingCorpus(IReadOnlyList<IReadOnlyList<int[]>> documents) => Documents = documents;

    /// <summary>The documents, each a list of non-empty segments (token ids without special tokens).</summary>
    public IReadOnlyList<IReadOnlyList<int[]>> Documents { get; }

    /// <summary>Total number of tokens.</summary>
    public long TokenCount => Documents.Sum(d => d.Sum(s => (long)s.Length));

    /// <summary>Reads and tokenises a text file.</summary>
    /// <param name="path">The corpus file.</param>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="blankLineSeparatesDocuments">True: a blank line ends a document (the original format). False: the whole
    /// file is one document, so sentence-order pairs and full-length sequences can span blank lines (useful for a corpus
    /// of short paragraphs such as a play, where speeches are separated by blank lines).</param>
    /// <returns>The corpus.</returns>
    /// <exception cref="TrainingDataException">The file holds no text.</exception>
    public static PretrainingCorpus FromFile(string path, AlbertTokenizer tokenizer, bool blankLineSeparatesDocuments = true)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Pretraining corpus '{path}' not found.", path);
        }

        return FromLines(File.ReadLines(path), tokenizer, blankLineSeparatesDocuments, path);
    }

    /// <summary>Tokenises lines of text (see <see cref="FromFile"/>).</summary>
    /// <param name="lines">The lines.</param>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="blankLineSeparatesDocuments">Whether blank lines end documents.</param>
    /// <param name="sourceName">Name for error messages.</param>
    /// <returns>The corpus.</returns>
    public static PretrainingCorpus FromLines(IEnumerable<string> lines, AlbertTokenizer tokenizer, bool blankLineSeparatesDocuments = true, string sourceName = "corpus")
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var documents = new List<IReadOnlyList<int[]>>();
        var current = new List<int[]>();
        foreach (string line in lines)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                if (blankLineSeparatesDocuments && current.Count > 0)
                {
                    documents.Add(current);
                    current = [];
                }

                continue;
            }

            int[] ids = tokenizer.EncodeToIds(line.Trim(), addSpecialTokens: false);
            if (ids.Length > 0)
            {
                current.Add(ids);
            }
        }

        if (current.Count > 0)
        {
            documents.Add(current);
        }

        if (documents.Count == 0)
        {
            throw new TrainingDataException(new SourceLocation(sourceName, 1), "the corpus holds no text.");
        }

        return new PretrainingCorpus(documents);
    }

    /// <summary>A corpus of already tokenised documents (for tests and custom pipelines).</summary>
    /// <param name="documents">Documents as lists of segments.</param>
    /// <returns>The corpus.</returns>
    public static PretrainingCorpus FromTokenIds(IReadOnlyList<IReadOnlyList<int[]>> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        return new PretrainingCorpus(documents);
    }
}
