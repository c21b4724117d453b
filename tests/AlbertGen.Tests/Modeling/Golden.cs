using AlbertGen.Checkpoints;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>One golden case of a fixture model: its inputs, labels and expected outputs by name.</summary>
public sealed class Golden : IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors;

    private Golden(string config, string name, Dictionary<string, Tensor> tensors)
    {
        Config = config;
        Name = name;
        _tensors = tensors;
    }

    public string Config { get; }

    public string Name { get; }

    public static Golden Load(string config, string name)
    {
        string path = Path.Combine(SharedFolder.Model(config), "golden", name + ".safetensors");
        using SafetensorsFile file = SafetensorsFile.Open(path);
        var tensors = file.Tensors.Keys.ToDictionary(k => k, file.ReadTensor);
        return new Golden(config, name, tensors);
    }

    public Tensor this[string name] => _tensors.TryGetValue(name, out Tensor? t)
        ? t
        : throw new KeyNotFoundException($"{Config}/{Name}: no golden tensor '{name}'.");

    public Tensor? Get(string name) => _tensors.GetValueOrDefault(name);

    public IEnumerable<string> Names => _tensors.Keys;

    public int Count(string prefix) => _tensors.Keys.Count(k => k.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Compares an output with the golden tensor of that name, recording the error.</summary>
    /// <remarks>
    /// The golden files store losses with shape [1] although the manifest and HuggingFace say [] (a scalar); our losses are
    /// scalars, so a one-element golden is compared as a scalar.
    /// </remarks>
    public void Check(string name, Tensor actual)
    {
        Tensor expected = this[name];
        using Tensor view = actual.Dimensions == 0 && expected.shape.SequenceEqual([1L]) ? expected.reshape() : expected.alias();
        ParityLog.Record(Config, $"{Name}/{name}", TensorAssert.Close(view, actual, $"{Config}/{Name}/{name}"));
    }

    public void Dispose()
    {
        foreach (Tensor t in _tensors.Values)
        {
            t.Dispose();
        }
    }
}

/// <summary>Worst absolute error per fixture across the parity tests, for the report.</summary>
public static class ParityLog
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, (double Error, string Where)> Worst = new();

    public static void Record(string fixture, string where, double error)
    {
        lock (Gate)
        {
            if (!Worst.TryGetValue(fixture, out var current) || error > current.Error)
            {
                Worst[fixture] = (error, where);
            }

            string line = $"{DateTime.UtcNow:O} {fixture} {where} {error:E3}{Environment.NewLine}";
            File.AppendAllText(Path.Combine(Path.GetTempPath(), "albertgen-parity.log"), line);
        }
    }
}
