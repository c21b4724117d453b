namespace AlbertGen.Tokenization;

/// <summary>
/// Walks the fields of one protobuf message. A SentencePiece model file uses four wire types and a few
/// dozen fields of three messages; reading (and, for <see cref="SentencePieceModelFile"/>, rewriting) them
/// with this walker keeps us off Google.Protobuf's generated code and off ML.Tokenizers' internal copy of
/// the schema, and lets a corrupt file fail with our own message.
/// </summary>
internal ref struct ProtobufReader
{
    /// <summary>Largest field number protobuf allows (2^29 - 1).</summary>
    private const ulong MaxFieldNumber = (1 << 29) - 1;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public ProtobufReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>Field number of the field just read.</summary>
    public int Field { get; private set; }

    /// <summary>Wire type of the field just read (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).</summary>
    public int WireType { get; private set; }

    /// <summary>Offset in the message where the field just read begins (its tag).</summary>
    public int FieldStart { get; private set; }

    /// <summary>Offset just past the field just read.</summary>
    public readonly int FieldEnd => _position;

    /// <summary>Value of a varint or fixed field just read.</summary>
    public ulong Scalar { get; private set; }

    /// <summary>Payload of a length-delimited field just read.</summary>
    public ReadOnlySpan<byte> Bytes { get; private set; }

    /// <summary>Reads the next field; false at the end of the message.</summary>
    /// <exception cref="InvalidDataException">The message is truncated or uses an unknown wire type.</exception>
    public bool Next()
    {
        if (_position >= _data.Length)
        {
            return false;
        }

        FieldStart = _position;
        ulong tag = ReadVarint();
        if ((tag >> 3) > MaxFieldNumber)
        {
            throw new InvalidDataException($"field number {tag >> 3} at byte {FieldStart} exceeds protobuf's maximum {MaxFieldNumber}");
        }

        Field = (int)(tag >> 3);
        WireType = (int)(tag & 7);
        Bytes = default;
        Scalar = 0;
        switch (WireType)
        {
            case 0:
                Scalar = ReadVarint();
                break;
            case 1:
                Scalar = BitConverter.ToUInt64(Take(8));
                break;
            case 2:
                ulong length = ReadVarint();
                if (length > (ulong)(_data.Length - _position))
                {
                    throw new InvalidDataException(
                        $"field {Field} at byte {FieldStart} declares {length} bytes but only {_data.Length - _position} remain");
                }

                Bytes = Take((int)length);
                break;
            case 5:
                Scalar = BitConverter.ToUInt32(Take(4));
                break;
            default:
                throw new InvalidDataException($"field {Field} at byte {FieldStart} has unsupported wire type {WireType}");
        }

        if (Field == 0)
        {
            throw new InvalidDataException($"field number 0 at byte {FieldStart}");
        }

        return true;
    }

    /// <summary>The varint just read as a signed 32-bit value (protobuf <c>int32</c>: negatives are 10-byte varints).</summary>
    public readonly int Int32 => unchecked((int)Scalar);

    /// <summary>The varint just read as a bool.</summary>
    public readonly bool Bool => Scalar != 0;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
        {
            throw new InvalidDataException($"field {Field} at byte {FieldStart} is truncated");
        }

        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    private ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw new InvalidDataException($"varint at byte {_position} is truncated");
            }

            byte b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new InvalidDataException($"varint ending at byte {_position} is longer than 10 bytes");
    }
}

/// <summary>Appends protobuf fields to a buffer (the few writes <see cref="SentencePieceModelFile"/> needs).</summary>
internal static class ProtobufWriter
{
    public static void WriteVarint(List<byte> output, ulong value)
    {
        while (value >= 0x80)
        {
            output.Add((byte)(value | 0x80));
            value >>= 7;
        }

        output.Add((byte)value);
    }

    public static void WriteInt32Field(List<byte> output, int field, int value)
    {
        WriteVarint(output, (ulong)field << 3);
        WriteVarint(output, unchecked((ulong)(long)value));
    }

    public static void WriteBytesField(List<byte> output, int field, ReadOnlySpan<byte> value)
    {
        WriteVarint(output, ((ulong)field << 3) | 2);
        WriteVarint(output, (ulong)value.Length);
        foreach (byte b in value)
        {
            output.Add(b);
        }
    }
}
