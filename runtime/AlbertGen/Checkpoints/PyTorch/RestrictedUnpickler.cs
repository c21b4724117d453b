using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace AlbertGen.Checkpoints;

/// <summary>
/// Reads a PyTorch state-dict pickle into plain values, in the spirit of <c>torch.load(weights_only=True)</c>: only
/// the globals a state dict needs are accepted (the tensor rebuild functions, the storage classes, <c>OrderedDict</c>);
/// any other global is refused at the <c>GLOBAL</c> opcode, before anything else happens, and no opcode that
/// constructs arbitrary objects (<c>INST</c>, <c>OBJ</c>, <c>NEWOBJ</c>, extension codes) is accepted. The "calls" it
/// does accept are interpreted here as descriptions (<see cref="PickleTensor"/>, <see cref="PickleDict"/>): nothing
/// from the file is ever imported, constructed or run.
/// </summary>
/// <remarks>
/// Written by hand rather than using Razorvine.Pickle: that library resolves globals through a process-wide
/// constructor registry and builds an object for any unknown global, so it cannot refuse a global at the opcode that
/// names it without changing process state, and it has no bounds on memo size, stack depth or opcode count. A state
/// dict needs about forty opcodes; every one here checks lengths against the bytes left before allocating, and the
/// opcode count, memo, stack and MARK depth are limited.
/// </remarks>
internal sealed class RestrictedUnpickler
{
    /// <summary>Most opcodes one pickle may execute.</summary>
    public const long MaxOpcodes = 50_000_000;

    /// <summary>Most memo entries.</summary>
    public const int MaxMemo = 4_000_000;

    /// <summary>Most values on the stack.</summary>
    public const int MaxStack = 4_000_000;

    /// <summary>Most nested MARKs (open tuples, lists, dicts being built).</summary>
    public const int MaxMarkDepth = 1_000;

    private static readonly HashSet<string> Callables = new(StringComparer.Ordinal)
    {
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "collections.OrderedDict",
    };

    private static readonly object Mark = new();

    private readonly Stream _stream;
    private readonly string _source;
    private readonly long _end;
    private readonly Func<PickleTuple, object?>? _persistentLoad;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private long _opcodes;

    /// <param name="stream">Positioned at the pickle's first byte; left just after its STOP.</param>
    /// <param name="source">Names the file (and entry) in messages.</param>
    /// <param name="end">Stream position the pickle may not read past.</param>
    /// <param name="persistentLoad">Resolves a persistent id (torch's storage references); null refuses them.</param>
    private RestrictedUnpickler(Stream stream, string source, long end, Func<PickleTuple, object?>? persistentLoad)
    {
        _stream = stream;
        _source = source;
        _end = end;
        _persistentLoad = persistentLoad;
    }

    /// <summary>The allow-list of globals: the rebuild functions, <c>collections.OrderedDict</c> and torch's storage classes.</summary>
    public static IEnumerable<string> AllowedGlobals => Callables.Concat(TorchStorageTypes.ClassNames.Select(n => "torch." + n)).Order(StringComparer.Ordinal);

    /// <summary>Reads one pickle.</summary>
    /// <exception cref="UnsafePickleException">A global outside the allow-list or an object-constructing opcode.</exception>
    /// <exception cref="CheckpointFormatException">Truncated, malformed, or over a limit.</exception>
    public static object? Load(Stream stream, string source, long end, Func<PickleTuple, object?>? persistentLoad)
    {
        var unpickler = new RestrictedUnpickler(stream, source, end, persistentLoad);
        try
        {
            return unpickler.Run();
        }
        catch (EndOfStreamException)
        {
            throw new CheckpointFormatException(source, "the pickle is truncated (it ends before its STOP opcode).");
        }
        catch (InvalidCastException e)
        {
            throw new CheckpointFormatException(source, $"the pickle is malformed ({e.Message}).");
        }
    }

    private object? Run()
    {
        while (true)
        {
            if (++_opcodes > MaxOpcodes)
            {
                throw Malformed($"more than {MaxOpcodes} opcodes");
            }

            long at = _stream.Position;
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: // PROTO
                    if (ReadByte() > 5)
                    {
                        throw Malformed("pickle protocol above 5");
                    }

                    break;
                case 0x95: ReadBytes(8); break; // FRAME: a length hint only
                case (byte)'.': // STOP
                    if (_stack.Count != 1 || _marks.Count != 0)
                    {
                        throw Malformed($"STOP with {_stack.Count} values on the stack and {_marks.Count} open MARKs");
                    }

                    return _stack[0] == Mark ? throw Malformed("STOP on a MARK") : _stack[0];
                case (byte)'(': // MARK
                    if (_marks.Count >= MaxMarkDepth)
                    {
                        throw Malformed($"more than {MaxMarkDepth} nested MARKs");
                    }

                    _marks.Push(_stack.Count);
                    Push(Mark);
                    break;
                case (byte)'0': Pop(); break; // POP
                case (byte)'1': PopMark(); break; // POP_MARK
                case (byte)'2': Push(Peek()); break; // DUP
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'I': Push(ParseIntLine()); break;
                case (byte)'L': Push(ParseLongLine()); break;
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break;
                case (byte)'K': Push((long)ReadByte()); break;
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break;
                case 0x8a: Push(ReadLong(ReadByte())); break; // LONG1
                case 0x8b: Push(ReadLong(ReadLength(4))); break; // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break;
                case (byte)'F': Push(ParseFloatLine()); break;
                case (byte)'X': Push(ReadUtf8(ReadLength(4))); break; // BINUNICODE
                case 0x8c: Push(ReadUtf8(ReadByte())); break; // SHORT_BINUNICODE
                case 0x8d: Push(ReadUtf8(ReadLength(8))); break; // BINUNICODE8
                case (byte)'T': Push(Encoding.Latin1.GetString(ReadBytes(ReadLength(4)))); break; // BINSTRING
                case (byte)'U': Push(Encoding.Latin1.GetString(ReadBytes(ReadByte()))); break; // SHORT_BINSTRING
                case (byte)'B': Push(ReadBytes(ReadLength(4))); break; // BINBYTES
                case (byte)'C': Push(ReadBytes(ReadByte())); break; // SHORT_BINBYTES
                case 0x8e: Push(ReadBytes(ReadLength(8))); break; // BINBYTES8
                case (byte)')': Push(new PickleTuple([])); break;
                case (byte)'t': Push(new PickleTuple(PopMark().ToArray())); break;
                case 0x85: Push(new PickleTuple([Pop()])); break;
                case 0x86: { object? b = Pop(), a = Pop(); Push(new PickleTuple([a, b])); break; }
                case 0x87: { object? c = Pop(), b = Pop(), a = Pop(); Push(new PickleTuple([a, b, c])); break; }
                case (byte)']': Push(new List<object?>()); break;
                case (byte)'l': Push(PopMark()); break; // LIST
                case (byte)'a': { object? item = Pop(); Expect<List<object?>>(Peek(), "APPEND").Add(item); break; }
                case (byte)'e': { List<object?> items = PopMark(); Expect<List<object?>>(Peek(), "APPENDS").AddRange(items); break; }
                case (byte)'}': Push(new PickleDict()); break;
                case (byte)'d': Push(ToDict(PopMark(), "DICT")); break;
                case (byte)'s': { object? v = Pop(), k = Pop(); Expect<PickleDict>(Peek(), "SETITEM").Items.Add(new(k, v)); break; }
                case (byte)'u': { List<object?> kv = PopMark(); Expect<PickleDict>(Peek(), "SETITEMS").Items.AddRange(ToDict(kv, "SETITEMS").Items); break; }
                case (byte)'p': Memoize(ParseIndexLine()); break; // PUT
                case (byte)'q': Memoize(ReadByte()); break; // BINPUT
                case (byte)'r': Memoize(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))); break; // LONG_BINPUT
                case 0x94: Memoize(_memo.Count); break; // MEMOIZE
                case (byte)'g': Push(Recall(ParseIndexLine())); break; // GET
                case (byte)'h': Push(Recall(ReadByte())); break; // BINGET
                case (byte)'j': Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break; // LONG_BINGET
                case (byte)'c': Push(Global(ReadLine(), ReadLine())); break; // GLOBAL
                case 0x93: { string name = Expect<string>(Pop(), "STACK_GLOBAL"); Push(Global(Expect<string>(Pop(), "STACK_GLOBAL"), name)); break; }
                case (byte)'R': { var args = Expect<PickleTuple>(Pop(), "REDUCE"); Push(Call(Pop(), args)); break; }
                case (byte)'b': Build(Pop()); break;
                case (byte)'Q': Push(Persistent(Pop())); break; // BINPERSID
                case (byte)'P': throw Refused($"opcode PERSID at byte {at} (a text persistent id; torch writes binary ones)");
                case (byte)'i': case (byte)'o': case 0x81: case 0x92:
                    throw Refused($"opcode {OpName(op)} at byte {at}: it constructs an arbitrary object, which a state dict never needs");
                case 0x82: case 0x83: case 0x84:
                    throw Refused($"opcode {OpName(op)} at byte {at}: it names a global through the copyreg extension registry");
                default:
                    throw Malformed($"opcode 0x{op:x2} at byte {at} is not one a PyTorch state dict uses");
            }
        }
    }

    private static string OpName(byte op) => op switch
    {
        (byte)'i' => "INST",
        (byte)'o' => "OBJ",
        0x81 => "NEWOBJ",
        0x92 => "NEWOBJ_EX",
        0x82 => "EXT1",
        0x83 => "EXT2",
        _ => "EXT4",
    };

    private PickleGlobal Global(string module, string name)
    {
        string full = $"{module}.{name}";
        if (Callables.Contains(full) || (module == "torch" && TorchStorageTypes.ClassNames.Contains(name)))
        {
            return new PickleGlobal(module, name);
        }

        throw Refused($"global '{full}' is not allowed: a PyTorch state dict only needs tensors, storages and OrderedDict");
    }

    private object? Call(object? callable, PickleTuple args)
    {
        if (callable is not PickleGlobal global || !Callables.Contains(global.FullName))
        {
            throw Refused($"REDUCE on {Describe(callable)}, which is not an allowed function");
        }

        object?[] a = args.Items;
        switch (global.FullName)
        {
            case "collections.OrderedDict":
                if (a.Length != 0)
                {
                    throw Malformed("OrderedDict is only rebuilt empty and then filled");
                }

                return new PickleDict();
            case "torch._utils._rebuild_tensor":
            case "torch._utils._rebuild_tensor_v2":
                if (a.Length < 4)
                {
                    throw Malformed($"{global.Name} takes at least 4 arguments (storage, offset, size, stride), found {a.Length}");
                }

                var storage = Expect<PickleStorage>(a[0], $"{global.Name}'s storage");
                long offset = Expect<long>(a[1], $"{global.Name}'s storage offset");
                long[] shape = Longs(a[2], $"{global.Name}'s size");
                long[] strides = Longs(a[3], $"{global.Name}'s stride");
                if (shape.Length != strides.Length)
                {
                    throw Malformed($"{global.Name}: size ({shape.Length} dims) and stride ({strides.Length} dims) differ");
                }

                return new PickleTensor(storage, offset, shape, strides);
            default: // _rebuild_parameter(data, requires_grad, hooks[, state]): the parameter is its data
                return a.Length >= 1 && a[0] is PickleTensor tensor
                    ? tensor
                    : throw Malformed($"{global.Name} expects a tensor as its first argument, found {Describe(a.Length > 0 ? a[0] : null)}");
        }
    }

    private void Build(object? state)
    {
        // OrderedDict state dicts carry their `_metadata` (module versions) as instance state; a parameter may carry
        // Python attributes. Neither matters for the weights, and applying state runs nothing here.
        object? target = Peek();
        if (target is not PickleDict and not PickleTensor)
        {
            throw Refused($"BUILD on {Describe(target)}: only a dict or tensor may receive state");
        }

        _ = state;
    }

    private object? Persistent(object? pid)
    {
        if (_persistentLoad is null || pid is not PickleTuple tuple)
        {
            throw Malformed($"persistent id {Describe(pid)} where none is expected");
        }

        return _persistentLoad(tuple);
    }

    private static long[] Longs(object? value, string what)
    {
        var tuple = Expect<PickleTuple>(value, what);
        var result = new long[tuple.Items.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = tuple.Items[i] is long v && v >= 0 ? v : throw new InvalidCastException($"{what} must be non-negative integers");
        }

        return result;
    }

    internal static T Expect<T>(object? value, string what) =>
        value is T t ? t : throw new InvalidCastException($"{what} must be {typeof(T).Name}, found {Describe(value)}");

    internal static string Describe(object? value) => value switch
    {
        null => "None",
        PickleGlobal g => $"'{g.FullName}'",
        string s => $"the string '{(s.Length > 40 ? s[..40] + "…" : s)}'",
        long l => $"the integer {l}",
        PickleTuple t => $"a tuple of {t.Items.Length}",
        List<object?> l => $"a list of {l.Count}",
        PickleDict d => $"a dict of {d.Items.Count}",
        PickleTensor => "a tensor",
        PickleStorage => "a storage",
        _ => value == Mark ? "a MARK" : value.GetType().Name,
    };

    private static PickleDict ToDict(List<object?> keysAndValues, string op)
    {
        if (keysAndValues.Count % 2 != 0)
        {
            throw new InvalidCastException($"{op} needs key/value pairs, found {keysAndValues.Count} values");
        }

        var dict = new PickleDict();
        for (int i = 0; i < keysAndValues.Count; i += 2)
        {
            dict.Items.Add(new(keysAndValues[i], keysAndValues[i + 1]));
        }

        return dict;
    }

    private void Push(object? value)
    {
        if (_stack.Count >= MaxStack)
        {
            throw Malformed($"more than {MaxStack} values on the stack");
        }

        _stack.Add(value);
    }

    private object? Peek()
    {
        int floor = _marks.Count > 0 ? _marks.Peek() + 1 : 0;
        return _stack.Count > floor ? _stack[^1] : throw Malformed("an opcode needs a value but the stack is empty");
    }

    private object? Pop()
    {
        object? value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0)
        {
            throw Malformed("an opcode needs a MARK but there is none");
        }

        int mark = _marks.Pop();
        List<object?> items = _stack.GetRange(mark + 1, _stack.Count - mark - 1);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private void Memoize(long index)
    {
        if (_memo.Count >= MaxMemo && !_memo.ContainsKey(index))
        {
            throw Malformed($"more than {MaxMemo} memo entries");
        }

        _memo[index] = Peek();
    }

    private object? Recall(long index) =>
        _memo.TryGetValue(index, out object? value) ? value : throw Malformed($"memo entry {index} is read before it is written");

    private byte ReadByte()
    {
        if (_stream.Position >= _end)
        {
            throw new EndOfStreamException();
        }

        int b = _stream.ReadByte();
        return b < 0 ? throw new EndOfStreamException() : (byte)b;
    }

    private int ReadLength(int bytes)
    {
        ReadOnlySpan<byte> raw = ReadBytes(bytes);
        ulong length = bytes == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(raw) : BinaryPrimitives.ReadUInt64LittleEndian(raw);
        if (length > (ulong)Math.Max(0, _end - _stream.Position))
        {
            throw Malformed($"a {length}-byte value at byte {_stream.Position} runs past the pickle's {_end - _stream.Position} remaining bytes");
        }

        return checked((int)length);
    }

    private byte[] ReadBytes(int count)
    {
        if (count > _end - _stream.Position)
        {
            throw new EndOfStreamException();
        }

        byte[] buffer = new byte[count];
        _stream.ReadExactly(buffer);
        return buffer;
    }

    private string ReadUtf8(int count)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(ReadBytes(count));
        }
        catch (DecoderFallbackException)
        {
            throw Malformed("a string is not valid UTF-8");
        }
    }

    private string ReadLine()
    {
        var bytes = new List<byte>();
        while (true)
        {
            byte b = ReadByte();
            if (b == (byte)'\n')
            {
                return Encoding.ASCII.GetString(bytes.ToArray());
            }

            if (bytes.Count >= 4096)
            {
                throw Malformed("a text line longer than 4096 bytes");
            }

            bytes.Add(b);
        }
    }

    private object ParseIntLine()
    {
        string line = ReadLine();
        return line switch
        {
            "00" => false,
            "01" => true,
            _ => long.TryParse(line, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long v)
                ? v
                : throw Malformed($"'{line}' is not an integer"),
        };
    }

    private long ParseIndexLine() => ParseIntLine() is long index ? index : throw Malformed("a memo index is not an integer");

    private long ParseLongLine()
    {
        string line = ReadLine().TrimEnd('L');
        return long.TryParse(line, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long v)
            ? v
            : throw Malformed($"'{line}' is not a 64-bit integer");
    }

    private double ParseFloatLine()
    {
        string line = ReadLine();
        return double.TryParse(line, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v)
            ? v
            : throw Malformed($"'{line}' is not a float");
    }

    /// <summary>A little-endian two's-complement integer; values beyond 64 bits stay <see cref="BigInteger"/> (torch's magic number is one).</summary>
    private object ReadLong(int count)
    {
        if (count > 64)
        {
            throw Malformed($"a {count}-byte integer");
        }

        var value = new BigInteger(ReadBytes(count), isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
    }

    private CheckpointFormatException Malformed(string problem) => new(_source, $"malformed pickle: {problem}.");

    private UnsafePickleException Refused(string problem) => new(_source, $"refused by the restricted pickle reader: {problem}; nothing was constructed or run.");
}
