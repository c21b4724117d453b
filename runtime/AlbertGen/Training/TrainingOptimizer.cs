using System.Globalization;
using AlbertGen.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// Base of the optimizers written here, both of Adam's family (<see cref="AdamW"/>, <see cref="Lamb"/>): parameter groups,
/// a step counter, the first and second moments of every parameter's gradient, and per-parameter state tensors that are
/// saved to and restored from a safetensors file, so a resumed run continues with exactly the same moments. A subclass
/// says only how the moments become an update.
/// </summary>
internal abstract class TrainingOptimizer : IDisposable
{
    private readonly Dictionary<string, Tensor> _state = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Initialises the optimizer over <paramref name="groups"/>.</summary>
    /// <param name="groups">Parameter groups; a parameter name may appear once.</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="epsilon">Added to the update's denominator.</param>
    protected TrainingOptimizer(IReadOnlyList<ParameterGroup> groups, double beta1, double beta2, double epsilon)
    {
        ArgumentNullException.ThrowIfNull(groups);
        Groups = groups;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (ParameterGroup g in groups)
        {
            foreach ((string name, _) in g.Parameters)
            {
                if (!seen.Add(name))
                {
                    throw new ArgumentException($"Parameter '{name}' is in more than one group.", nameof(groups));
                }
            }
        }
    }

    /// <summary>The parameter groups.</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>First-moment decay β₁.</summary>
    public double Beta1 { get; }

    /// <summary>Second-moment decay β₂.</summary>
    public double Beta2 { get; }

    /// <summary>Denominator term ε.</summary>
    public double Epsilon { get; }

    /// <summary>Number of updates made (restored by <see cref="LoadState"/>).</summary>
    public long StepCount { get; private set; }

    /// <summary>Every parameter, in group order.</summary>
    public IEnumerable<Parameter> Parameters => Groups.SelectMany(g => g.Parameters.Select(p => p.Parameter));

    /// <summary>Clears the gradients of every parameter.</summary>
    public void ZeroGrad()
    {
        using var scope = NewDisposeScope(); // each read of .grad is a new handle
        foreach (Parameter p in Parameters)
        {
            if (p.grad is { } g)
            {
                g.zero_();
            }
        }
    }

    /// <summary>Applies one update with the gradients currently stored on the parameters.</summary>
    /// <param name="learningRate">The learning rate of this update.</param>
    public void Step(double learningRate)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        StepCount++;
        using var noGrad = no_grad();
        foreach (ParameterGroup group in Groups)
        {
            foreach ((string name, Parameter p) in group.Parameters)
            {
                if (p.grad is not { } grad)
                {
                    continue;
                }

                using var scope = NewDisposeScope();
                Update(name, p, grad, group, learningRate, StepCount);
            }
        }
    }

    /// <summary>Updates one parameter in place. Runs inside <c>no_grad</c> and a dispose scope.</summary>
    /// <param name="name">Parameter name (key of its state).</param>
    /// <param name="parameter">The parameter.</param>
    /// <param name="grad">Its gradient.</param>
    /// <param name="group">Its group.</param>
    /// <param name="learningRate">The learning rate of this update.</param>
    /// <param name="step">1-based number of this update.</param>
    protected abstract void Update(string name, Parameter parameter, Tensor grad, ParameterGroup group, double learningRate, long step);

    /// <summary>
    /// Moves the parameter's moments on by <paramref name="grad"/>: <c>m ← β₁·m + (1 − β₁)·g</c>,
    /// <c>v ← β₂·v + (1 − β₂)·g²</c>; returns both (state tensors, owned by the optimizer).
    /// </summary>
    protected (Tensor M, Tensor V) UpdateMoments(string name, Parameter parameter, Tensor grad)
    {
        Tensor m = State("exp_avg", name, parameter);
        Tensor v = State("exp_avg_sq", name, parameter);
        m.mul_(Beta1).add_(grad, alpha: 1 - Beta1);
        v.mul_(Beta2).addcmul_(grad, grad, value: 1 - Beta2);
        return (m, v);
    }

    /// <summary>A state tensor of a parameter (<c>exp_avg</c>, …), created as zeros like the parameter on first use.</summary>
    /// <param name="kind">State name.</param>
    /// <param name="name">Parameter name.</param>
    /// <param name="like">The parameter.</param>
    private Tensor State(string kind, string name, Tensor like)
    {
        string key = kind + "." + name;
        if (!_state.TryGetValue(key, out Tensor? t))
        {
            t = zeros_like(like).DetachFromDisposeScope();
            _state[key] = t;
        }

        return t;
    }

    /// <summary>Writes the step count and every state tensor to a safetensors file.</summary>
    /// <param name="path">Target file.</param>
    public void SaveState(string path)
    {
        var tensors = _state.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var metadata = new Dictionary<string, string>
        {
            ["optimizer"] = GetType().Name,
            ["step"] = StepCount.ToString(CultureInfo.InvariantCulture),
        };
        SafetensorsWriter.Write(path, tensors, metadata);
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidDataException">The file was written by another optimizer or for other parameters.</exception>
    public void LoadState(string path)
    {
        using SafetensorsFile file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("optimizer", out string? kind) || kind != GetType().Name
            || !file.Metadata.TryGetValue("step", out string? stepText))
        {
            throw new InvalidDataException($"'{path}' is not a {GetType().Name} state file.");
        }

        var parameters = Groups.SelectMany(g => g.Parameters).ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        foreach (Tensor t in _state.Values)
        {
            t.Dispose();
        }

        _state.Clear();
        foreach (string key in file.Tensors.Keys)
        {
            int dot = key.IndexOf('.', StringComparison.Ordinal);
            string name = dot < 0 ? "" : key[(dot + 1)..];
            if (!parameters.TryGetValue(name, out Parameter? p))
            {
                throw new InvalidDataException($"'{path}' holds state '{key}' for a parameter the model does not have.");
            }

            using var noGrad = no_grad();
            Tensor t = zeros_like(p).DetachFromDisposeScope();
            file.CopyTo(key, t);
            _state[key] = t;
        }

        StepCount = long.Parse(stepText, CultureInfo.InvariantCulture);
    }

    /// <summary>The state tensors made so far (for checks of their device).</summary>
    internal IEnumerable<Tensor> StateTensors => _state.Values;

    /// <summary>Releases the state tensors.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (Tensor t in _state.Values)
        {
            t.Dispose();
        }

        _state.Clear();
        GC.SuppressFinalize(this);
    }
}
