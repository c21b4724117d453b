using System.Buffers.Binary;
using System.Text;

namespace AlbertGen.Fuzz;

/// <summary>
/// Small, hand-built seed inputs for each target (AFL works best from small seeds). The committed corpora under
/// <c>tests/fuzz/corpus/</c> start from these and keep what the fuzzer found interesting.
/// </summary>
internal static class Seeds
{
    public static void Write(string folder)
    {
        foreach ((string target, string name, byte[] bytes) in All())
        {
            string dir = Path.Combine(folder, target);
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
        }
    }

    private static IEnumerable<(string Target, string Name, byte[] Bytes)> All()
    {
        const string st = FuzzTargetNames.Safetensors;
        yield return (st, "seed-empty-header", Safetensors("{}", []));
        yield return (st, "seed-f32-2x3", Safetensors("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"__metadata__":{"format":"pt"}}""", new byte[24]));
        yield return (st, "seed-i64-scalar", Safetensors("""{"s":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}""", [1, 0, 0, 0, 0, 0, 0, 0]));
        yield return (st, "seed-zero-size", Safetensors("""{"z":{"dtype":"F16","shape":[0,4],"data_offsets":[0,0]}}""", []));
        yield return (st, "seed-all-dtypes", Safetensors(
            """
            {"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},
            "c":{"dtype":"F16","shape":[2],"data_offsets":[12,16]},"d":{"dtype":"I32","shape":[1],"data_offsets":[16,20]},
            "e":{"dtype":"I16","shape":[2],"data_offsets":[20,24]},"f":{"dtype":"I8","shape":[2],"data_offsets":[24,26]},
            "g":{"dtype":"U8","shape":[1],"data_offsets":[26,27]},"h":{"dtype":"BOOL","shape":[1],"data_offsets":[27,28]}}
            """,
            [0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x80, 0x3F, 0, 0x40, 0, 0x3C, 0, 0x40, 7, 0, 0, 0, 1, 0, 0xFF, 0xFF, 1, 0xFF, 200, 1]));

        const string cf = FuzzTargetNames.Config;
        yield return (cf, "seed-empty-object", Encoding.UTF8.GetBytes("{}"));
        yield return (cf, "seed-albert-base", Encoding.UTF8.GetBytes(
            """{"architectures":["AlbertForMaskedLM"],"attention_probs_dropout_prob":0,"bos_token_id":2,"classifier_dropout_prob":0.1,"down_scale_factor":1,"embedding_size":128,"eos_token_id":3,"gap_size":0,"hidden_act":"gelu_new","hidden_dropout_prob":0,"hidden_size":768,"initializer_range":0.02,"inner_group_num":1,"intermediate_size":3072,"layer_norm_eps":1e-12,"max_position_embeddings":512,"model_type":"albert","net_structure_type":0,"num_attention_heads":12,"num_hidden_groups":1,"num_hidden_layers":12,"num_memory_blocks":0,"pad_token_id":0,"type_vocab_size":2,"vocab_size":30000}"""));
        yield return (cf, "seed-tiny-labels", Encoding.UTF8.GetBytes(
            """{"model_type":"albert","vocab_size":1000,"embedding_size":16,"hidden_size":32,"num_hidden_layers":4,"num_hidden_groups":2,"inner_group_num":2,"num_attention_heads":4,"intermediate_size":37,"max_position_embeddings":64,"hidden_act":"gelu","position_embedding_type":"relative_key","problem_type":"single_label_classification","id2label":{"0":"NEG","1":"POS","2":"MID"},"label2id":{"NEG":0,"POS":1,"MID":2},"architectures":["AlbertForSequenceClassification"]}"""));
        yield return (cf, "seed-escapes", Encoding.UTF8.GetBytes("{\"_name_or_path\":\"a\\u00e9\\\"\\n\",\"layer_norm_eps\":1E-5,\"num_labels\":-1,\"x\":[true,false,null,{}]}"));

        const string sp = FuzzTargetNames.Spiece;
        yield return (sp, "seed-tiny-identity", SpieceModel(charsMap: null, userSymbols: false));
        yield return (sp, "seed-tiny-charsmap", SpieceModel(CharsMapUpperA(), userSymbols: true));

        const string tj = FuzzTargetNames.TokenizerJson;
        yield return (tj, "seed-minimal", Json(
            "{'model':{'type':'Unigram','unk_id':1,'vocab':[['<pad>',0],['<unk>',0],['[CLS]',0],['[SEP]',0],['[MASK]',0],['▁',-2],['▁a',-1],['b',-3]]}}"));
        yield return (tj, "seed-albert-shape", Json(
            "{'added_tokens':[{'id':0,'content':'<pad>','special':true,'normalized':false},{'id':1,'content':'<unk>','special':true,'normalized':false},"
            + "{'id':2,'content':'[CLS]','special':true,'normalized':false},{'id':3,'content':'[SEP]','special':true,'normalized':false},"
            + "{'id':4,'content':'[MASK]','lstrip':true,'special':true,'normalized':false},{'id':9,'content':'Zz','single_word':true,'rstrip':true,'normalized':true}],"
            + "'normalizer':{'type':'Sequence','normalizers':[{'type':'Replace','pattern':{'String':'``'},'content':'\\''},{'type':'NFKD'},{'type':'StripAccents'},"
            + "{'type':'Lowercase'},{'type':'Precompiled','precompiled_charsmap':'CAAAAAACAACBAAAAYQA='},{'type':'Replace','pattern':{'Regex':' {2,}'},'content':' '}]},"
            + "'pre_tokenizer':{'type':'Sequence','pretokenizers':[{'type':'WhitespaceSplit'},{'type':'Metaspace','replacement':'▁','prepend_scheme':'always','split':true}]},"
            + "'post_processor':{'type':'TemplateProcessing','single':[{'SpecialToken':{'id':'[CLS]','type_id':0}},{'Sequence':{'id':'A','type_id':0}},{'SpecialToken':{'id':'[SEP]','type_id':0}}],"
            + "'pair':[{'SpecialToken':{'id':'[CLS]','type_id':0}},{'Sequence':{'id':'A','type_id':0}},{'SpecialToken':{'id':'[SEP]','type_id':0}},{'Sequence':{'id':'B','type_id':1}},{'SpecialToken':{'id':'[SEP]','type_id':1}}],"
            + "'special_tokens':{'[CLS]':{'id':'[CLS]','ids':[2],'tokens':['[CLS]']},'[SEP]':{'id':'[SEP]','ids':[3],'tokens':['[SEP]']}}},"
            + "'decoder':{'type':'Sequence','decoders':[{'type':'Metaspace','replacement':'▁','add_prefix_space':true},{'type':'Strip','content':' ','start':0,'stop':1},{'type':'Fuse'}]},"
            + "'model':{'type':'Unigram','unk_id':1,'byte_fallback':false,'vocab':[['<pad>',0],['<unk>',0],['[CLS]',0],['[SEP]',0],['[MASK]',0],['▁',-2],['▁the',-1.5],['a',-3],['b',-3.5],['zz',-4],['▁1',-5],[',',-2.5],['▁1,',-105]]}}"));
        const string pk = FuzzTargetNames.Pickle;
        yield return (pk, "seed-zip-one-tensor", PickleZip(StateDictPickle()));
        yield return (pk, "seed-legacy-header-only", [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, (byte)'.']);
        yield return (pk, "seed-reduce-os-system", Encoding.Latin1.GetBytes("\u0080\u0002cos\nsystem\nX\u0002\u0000\u0000\u0000ls\u0085R."));

        const string tk = FuzzTargetNames.Tokenizer;
        yield return (tk, "seed-plain", Tokenizer(0, 0, 0, "Hello, world! It's 1,000 km away."));
        yield return (tk, "seed-pair-truncate", Tokenizer(1 | 4 | 8 | 16, 12, 2, "The first text is long enough to overflow.\0And the second one."));
        yield return (tk, "seed-special-padded", Tokenizer(2 | 4 | 32 | 64, 20, 0x31, "a [MASK] b\0[CLS] c [SEP] <unk> d"));
        yield return (tk, "seed-unicode", Tokenizer(3 | 4, 9, 1, "Ünïcödé ﬁ ① ``quoted'' 9,\0\u3000x é\u0301 日本語 🙂"));
        yield return (tk, "seed-utf16-surrogates", Tokenizer16(128, 0, 0, "ab\uD800c\uDC00 9,9, x"));
    }

    /// <summary>{'w': _rebuild_tensor_v2(storage 0 (4 floats), 0, (2, 2), (2, 1), False, OrderedDict())} in protocol 2.</summary>
    private static byte[] StateDictPickle()
    {
        var p = new List<byte> { 0x80, 0x02, (byte)'}', (byte)'X', 1, 0, 0, 0, (byte)'w' };
        p.AddRange(Encoding.Latin1.GetBytes("ctorch._utils\n_rebuild_tensor_v2\n((X\u0007\u0000\u0000\u0000storagectorch\nFloatStorage\nX\u0001\u0000\u0000\u00000X\u0003\u0000\u0000\u0000cpuK\u0004tQK\u0000K\u0002K\u0002\u0086K\u0002K\u0001\u0086\u0089ccollections\nOrderedDict\n)RtRs."));
        return p.ToArray();
    }

    /// <summary>A torch zip archive holding <paramref name="dataPkl"/> and one 16-byte storage <c>0</c>.</summary>
    private static byte[] PickleZip(byte[] dataPkl)
    {
        using var buffer = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(buffer, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string name, byte[] bytes) in new[] { ("a/data.pkl", dataPkl), ("a/data/0", new byte[16]), ("a/version", "3\n"u8.ToArray()) })
            {
                using Stream entry = zip.CreateEntry(name, System.IO.Compression.CompressionLevel.NoCompression).Open();
                entry.Write(bytes);
            }
        }

        return buffer.ToArray();
    }

    private static byte[] Safetensors(string header, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    /// <summary>JSON written with single quotes (no apostrophes occur in these seeds), as UTF-8.</summary>
    private static byte[] Json(string singleQuoted) => Encoding.UTF8.GetBytes(singleQuoted.Replace('\'', '"'));

    private static byte[] Tokenizer(byte flags, byte maxLength, byte stride, string text) =>
        [flags, maxLength, stride, .. Encoding.UTF8.GetBytes(text)];

    private static byte[] Tokenizer16(byte flags, byte maxLength, byte stride, string text) =>
        [flags, maxLength, stride, .. Encoding.Unicode.GetBytes(text)];

    /// <summary>An ALBERT-shaped SentencePiece model with a handful of pieces.</summary>
    private static byte[] SpieceModel(byte[]? charsMap, bool userSymbols)
    {
        var model = new List<byte>();
        (string Text, float Score, int Type)[] pieces =
        [
            ("<pad>", 0, 3), ("<unk>", 0, 2), ("[CLS]", 0, 3), ("[SEP]", 0, 3), ("[MASK]", 0, 3),
            ("▁", -1, 1), ("▁the", -2, 1), ("a", -3, 1), ("b", -3, 1), ("e", -3, 1), ("h", -3, 1), ("t", -3, 1),
            ("▁a", -2.5f, 1), ("1", -4, 1), (",", -4, 1), ("!", -4, 1), ("<0x41>", -9, 6), ("▁▁", -8, 5),
        ];
        foreach ((string text, float score, int type) in pieces)
        {
            var piece = new List<byte>();
            Bytes(piece, 1, Encoding.UTF8.GetBytes(text));
            Varint(piece, (2 << 3) | 5);
            piece.AddRange(BitConverter.GetBytes(score));
            Int(piece, 3, type);
            Bytes(model, 1, [.. piece]);
        }

        if (userSymbols)
        {
            var piece = new List<byte>();
            Bytes(piece, 1, Encoding.UTF8.GetBytes("(("));
            Int(piece, 3, 4);
            Bytes(model, 1, [.. piece]);
        }

        var trainer = new List<byte>();
        Int(trainer, 40, 1);  // unk_id
        Int(trainer, 41, -1); // bos_id
        Int(trainer, 42, -1); // eos_id
        Int(trainer, 43, 0);  // pad_id
        Bytes(model, 2, [.. trainer]);

        var normalizer = new List<byte>();
        Bytes(normalizer, 1, Encoding.UTF8.GetBytes(charsMap is null ? "identity" : "nmt_nfkc"));
        if (charsMap is not null)
        {
            Bytes(normalizer, 2, charsMap);
        }

        Int(normalizer, 3, 1);
        Int(normalizer, 4, 1);
        Int(normalizer, 5, 1);
        Bytes(model, 3, [.. normalizer]);
        return [.. model];
    }

    /// <summary>A precompiled chars map with one rule, <c>A</c> → <c>a</c>: a darts-clone double array and its strings.</summary>
    private static byte[] CharsMapUpperA()
    {
        var units = new uint[66];
        units[0] = 1u << 10;                        // root: children at 1 ^ label
        units[1 ^ 'A'] = 'A' | (1u << 8) | (1u << 10); // 'A', has a leaf at its index ^ 1
        units[(1 ^ 'A') ^ 1] = 0x80000000u;            // leaf: value 0, the offset of "a" below
        byte[] strings = [(byte)'a', 0];
        var blob = new byte[4 + (units.Length * 4) + strings.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(blob, (uint)(units.Length * 4));
        for (int i = 0; i < units.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4 + (i * 4)), units[i]);
        }

        strings.CopyTo(blob, 4 + (units.Length * 4));
        return blob;
    }

    private static void Varint(List<byte> output, ulong value)
    {
        while (value >= 0x80)
        {
            output.Add((byte)(value | 0x80));
            value >>= 7;
        }

        output.Add((byte)value);
    }

    private static void Int(List<byte> output, int field, int value)
    {
        Varint(output, (ulong)field << 3);
        Varint(output, unchecked((ulong)(long)value));
    }

    private static void Bytes(List<byte> output, int field, byte[] value)
    {
        Varint(output, ((ulong)field << 3) | 2);
        Varint(output, (ulong)value.Length);
        output.AddRange(value);
    }
}
