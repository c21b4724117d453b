using System.Text;

namespace AlbertGen.Tokenization;

/// <summary>Kind of a vocabulary entry of a SentencePiece model (<c>ModelProto.SentencePiece.Type</c>).</summary>
internal enum PieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>
/// The parts of a SentencePiece <c>ModelProto</c> (<c>spiece.model</c>) the tokenizer needs: the vocabulary,
/// the special ids and the normaliser settings, read with <see cref="ProtobufReader"/>.
/// </summary>
internal sealed class SentencePieceModelFile
{
    // ModelProto fields.
    private const int PiecesField = 1, TrainerSpecField = 2, NormalizerSpecField = 3;

    // ModelProto.SentencePiece fields.
    private const int PieceTextField = 1, PieceScoreField = 2, PieceTypeField = 3;

    // TrainerSpec fields.
    private const int TreatWhitespaceAsSuffixField = 24, ByteFallbackField = 35, UnkIdField = 40, BosIdField = 41, EosIdField = 42,
        PadIdField = 43, BosPieceField = 46, EosPieceField = 47;

    // NormalizerSpec fields.
    private const int NormalizerNameField = 1, CharsMapField = 2, AddDummyPrefixField = 3,
        RemoveExtraWhitespacesField = 4, EscapeWhitespacesField = 5;

    private SentencePieceModelFile(byte[] bytes, string source)
    {
        Bytes = bytes;
        Source = source;
    }

    /// <summary>The file's bytes, unchanged.</summary>
    public byte[] Bytes { get; }

    /// <summary>Where the bytes came from, for error messages.</summary>
    public string Source { get; }

    public string[] Pieces { get; private set; } = [];

    public PieceType[] Types { get; private set; } = [];

    /// <summary>Each piece's log-probability (the Unigram score).</summary>
    public float[] Scores { get; private set; } = [];

    public int UnkId { get; private set; }

    public int BosId { get; private set; } = 1;

    public int EosId { get; private set; } = 2;

    public int PadId { get; private set; } = -1;

    public bool TreatWhitespaceAsSuffix { get; private set; }

    /// <summary><c>trainer_spec.byte_fallback</c>: unknown characters are spelt as byte pieces instead of <c>&lt;unk&gt;</c>.</summary>
    public bool ByteFallback { get; private set; }

    public string NormalizerName { get; private set; } = "";

    public byte[] PrecompiledCharsMap { get; private set; } = [];

    public bool AddDummyPrefix { get; private set; } = true;

    public bool RemoveExtraWhitespaces { get; private set; } = true;

    public bool EscapeWhitespaces { get; private set; } = true;

    /// <summary>Parses a model file.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a usable SentencePiece model; the message names <paramref name="source"/>.</exception>
    public static SentencePieceModelFile Parse(byte[] bytes, string source)
    {
        var model = new SentencePieceModelFile(bytes, source);
        try
        {
            model.Read();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{source}' is not a valid SentencePiece model: {e.Message}", e);
        }

        return model;
    }

    private void Read()
    {
        if (Bytes.Length == 0)
        {
            throw new InvalidDataException("the file is empty");
        }

        var pieces = new List<string>();
        var types = new List<PieceType>();
        var scores = new List<float>();
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var reader = new ProtobufReader(Bytes);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case PiecesField:
                    ExpectWireType(reader, 2, "ModelProto.pieces");
                    ReadPiece(reader.Bytes, pieces.Count, utf8, out string text, out PieceType type, out float score);
                    pieces.Add(text);
                    types.Add(type);
                    scores.Add(score);
                    break;
                case TrainerSpecField:
                    ExpectWireType(reader, 2, "ModelProto.trainer_spec");
                    ReadTrainerSpec(reader.Bytes);
                    break;
                case NormalizerSpecField:
                    ExpectWireType(reader, 2, "ModelProto.normalizer_spec");
                    ReadNormalizerSpec(reader.Bytes, utf8);
                    break;
            }
        }

        if (pieces.Count == 0)
        {
            throw new InvalidDataException("it has no vocabulary pieces");
        }

        Pieces = [.. pieces];
        Types = [.. types];
        Scores = [.. scores];
        if ((uint)UnkId >= (uint)Pieces.Length || Types[UnkId] != PieceType.Unknown)
        {
            throw new InvalidDataException($"unk_id {UnkId} does not name an unknown-type piece of the {Pieces.Length}-piece vocabulary");
        }

        if (PadId >= Pieces.Length || BosId >= Pieces.Length || EosId >= Pieces.Length)
        {
            throw new InvalidDataException($"a special id (bos {BosId}, eos {EosId}, pad {PadId}) lies outside the {Pieces.Length}-piece vocabulary");
        }

        if (ByteFallback)
        {
            CheckBytePieces();
        }
    }

    /// <summary>
    /// With byte fallback, characters outside the vocabulary become the pieces <c>&lt;0x00&gt;</c> … <c>&lt;0xFF&gt;</c>, so all
    /// 256 must exist as byte pieces; the sentencepiece library refuses such a model as well (and ML.Tokenizers would index
    /// past its byte table).
    /// </summary>
    private void CheckBytePieces()
    {
        var bytePieces = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Pieces.Length; i++)
        {
            if (Types[i] == PieceType.Byte)
            {
                bytePieces.Add(Pieces[i]);
            }
        }

        for (int b = 0; b < 256; b++)
        {
            string piece = $"<0x{b:X2}>";
            if (!bytePieces.Contains(piece))
            {
                throw new InvalidDataException($"trainer_spec.byte_fallback is set but the vocabulary has no byte piece {piece} (a byte-fallback model needs all 256)");
            }
        }
    }

    private static void ReadPiece(ReadOnlySpan<byte> message, int index, UTF8Encoding utf8, out string text, out PieceType type, out float score)
    {
        text = "";
        score = 0;
        type = PieceType.Normal;
        var reader = new ProtobufReader(message);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case PieceTextField:
                    ExpectWireType(reader, 2, $"piece {index}");
                    text = Decode(utf8, reader.Bytes, $"piece {index}");
                    break;
                case PieceScoreField:
                    ExpectWireType(reader, 5, $"score of piece {index}");
                    score = BitConverter.UInt32BitsToSingle((uint)reader.Scalar);
                    break;
                case PieceTypeField:
                    ExpectWireType(reader, 0, $"type of piece {index}");
                    type = (PieceType)reader.Int32;
                    if (!Enum.IsDefined(type))
                    {
                        throw new InvalidDataException($"piece {index} has unknown type {reader.Int32}");
                    }

                    break;
            }
        }

        if (text.Length == 0)
        {
            throw new InvalidDataException($"piece {index} is empty");
        }
    }

    private void ReadTrainerSpec(ReadOnlySpan<byte> message)
    {
        var reader = new ProtobufReader(message);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case UnkIdField: UnkId = reader.Int32; break;
                case BosIdField: BosId = reader.Int32; break;
                case EosIdField: EosId = reader.Int32; break;
                case PadIdField: PadId = reader.Int32; break;
                case TreatWhitespaceAsSuffixField: TreatWhitespaceAsSuffix = reader.Bool; break;
                case ByteFallbackField: ByteFallback = reader.Bool; break;
            }
        }
    }

    private void ReadNormalizerSpec(ReadOnlySpan<byte> message, UTF8Encoding utf8)
    {
        var reader = new ProtobufReader(message);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case NormalizerNameField: NormalizerName = Decode(utf8, reader.Bytes, "normalizer_spec.name"); break;
                case CharsMapField: PrecompiledCharsMap = reader.Bytes.ToArray(); break;
                case AddDummyPrefixField: AddDummyPrefix = reader.Bool; break;
                case RemoveExtraWhitespacesField: RemoveExtraWhitespaces = reader.Bool; break;
                case EscapeWhitespacesField: EscapeWhitespaces = reader.Bool; break;
            }
        }
    }

    /// <summary>
    /// The model bytes with the trainer spec's bos/eos ids and pieces replaced, so that
    /// <c>SentencePieceTokenizer.Create</c> accepts the file.
    /// </summary>
    /// <remarks>
    /// Microsoft.ML.Tokenizers 2.0.1 bug: <c>SentencePieceTokenizer.Create</c> indexes the vocabulary with
    /// the bos and eos ids, so a model trained with <c>bos_id=-1 eos_id=-1</c> (every ALBERT model) throws
    /// <see cref="IndexOutOfRangeException"/>. We never ask it to add bos/eos, so any valid ids do.
    /// </remarks>
    public byte[] WithSentenceIds(int bosId, int eosId)
    {
        var output = new List<byte>(Bytes.Length + 32);
        var reader = new ProtobufReader(Bytes);
        while (reader.Next())
        {
            if (reader.Field != TrainerSpecField)
            {
                output.AddRange(Bytes.AsSpan(reader.FieldStart, reader.FieldEnd - reader.FieldStart));
                continue;
            }

            var trainer = new List<byte>(reader.Bytes.Length + 32);
            var inner = new ProtobufReader(reader.Bytes);
            while (inner.Next())
            {
                if (inner.Field is not (BosIdField or EosIdField or BosPieceField or EosPieceField))
                {
                    trainer.AddRange(reader.Bytes.Slice(inner.FieldStart, inner.FieldEnd - inner.FieldStart));
                }
            }

            ProtobufWriter.WriteInt32Field(trainer, BosIdField, bosId);
            ProtobufWriter.WriteInt32Field(trainer, EosIdField, eosId);
            ProtobufWriter.WriteBytesField(trainer, BosPieceField, Encoding.UTF8.GetBytes(Pieces[bosId]));
            ProtobufWriter.WriteBytesField(trainer, EosPieceField, Encoding.UTF8.GetBytes(Pieces[eosId]));
            ProtobufWriter.WriteBytesField(output, TrainerSpecField, trainer.ToArray());
        }

        return output.ToArray();
    }

    private static void ExpectWireType(in ProtobufReader reader, int wireType, string what)
    {
        if (reader.WireType != wireType)
        {
            throw new InvalidDataException($"{what} has wire type {reader.WireType}, expected {wireType}");
        }
    }

    private static string Decode(UTF8Encoding utf8, ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return utf8.GetString(bytes);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{what} is not valid UTF-8", e);
        }
    }
}
