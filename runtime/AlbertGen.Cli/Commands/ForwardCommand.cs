using System.CommandLine;
using AlbertGen.Checkpoints;
using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Cli.Commands;

/// <summary>
/// <c>albertgen forward</c>: runs one head on tensors from a safetensors file and writes every output under
/// HuggingFace's field names, for parity checks against Python.
/// </summary>
internal static class ForwardCommand
{
    /// <summary>The task names, one per HuggingFace class (<see cref="AlbertHeadRegistry"/>).</summary>
    public static IReadOnlyList<string> Tasks => AlbertHeadRegistry.Tasks;

    public static Command Create(CliContext context)
    {
        var model = new ModelOptions();
        var device = new DeviceOption();
        var task = new Option<string>("--task") { Description = "Which head to run.", Required = true };
        task.AcceptOnlyFromAmong([.. Tasks]);
        var inputs = new Option<string>("--inputs") { Description = "safetensors file with input_ids and optional attention_mask, token_type_ids, position_ids, head_mask and labels.", Required = true };
        var output = new Option<string>("--output") { Description = "safetensors file to write the outputs to (float32).", Required = true };
        var hiddenStates = new Option<bool>("--hidden-states") { Description = "Also write hidden_states.{k}." };
        var attentions = new Option<bool>("--attentions") { Description = "Also write attentions.{k}." };
        var command = new Command("forward", "Run a model head on input tensors and write its outputs (for parity checks).")
        {
            task, inputs, output, hiddenStates, attentions,
        };
        model.AddTo(command);
        device.AddTo(command);
        command.SetAction(parse =>
        {
            Run(model.Resolve(parse), parse.GetValue(task)!, parse.GetValue(inputs)!, parse.GetValue(output)!,
                parse.GetValue(hiddenStates), parse.GetValue(attentions), device.Read(parse));
            context.Error.WriteLine($"wrote {parse.GetValue(output)}");
        });
        return command;
    }

    /// <summary>Runs the forward pass and writes the outputs.</summary>
    public static void Run(string modelDirectory, string task, string inputsPath, string outputPath, bool hiddenStates, bool attentions, Device? device = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = inference_mode();
        AlbertInputs inputs = ReadInputs(inputsPath, hiddenStates, attentions);
        Dictionary<string, Tensor> outputs = AlbertHeadModels.ForTask(task).Forward(modelDirectory, inputs, new LoadOptions { Device = device });
        SafetensorsWriter.Write(outputPath, outputs.Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.to(float32, CPU).contiguous())));
    }

    private static AlbertInputs ReadInputs(string path, bool hiddenStates, bool attentions)
    {
        using SafetensorsFile file = SafetensorsFile.Open(path);
        Tensor? Read(string name, bool integral)
        {
            if (!file.Tensors.TryGetValue(name, out SafetensorsTensorInfo? info))
            {
                return null;
            }

            bool isIntegral = info.DType is SafetensorsDType.I64 or SafetensorsDType.I32 or SafetensorsDType.I16 or SafetensorsDType.I8 or SafetensorsDType.U8;
            if (integral && !isIntegral)
            {
                throw new InvalidDataException($"{path}: tensor {name} has dtype {SafetensorsDTypes.Name(info.DType)}; expected an integer dtype (I64).");
            }

            Tensor tensor = file.ReadTensor(name);
            return integral ? tensor.to(int64) : tensor;
        }

        Tensor inputIds = Read("input_ids", integral: true)
            ?? throw new InvalidDataException($"{path}: no tensor named input_ids; it is required (int64 [batch, sequence], or [batch, choices, sequence] for multiple choice).");
        return new AlbertInputs
        {
            InputIds = inputIds,
            AttentionMask = Read("attention_mask", integral: false),
            TokenTypeIds = Read("token_type_ids", integral: true),
            PositionIds = Read("position_ids", integral: true),
            HeadMask = Read("head_mask", integral: false),
            Labels = Read("labels", integral: false),
            SentenceOrderLabel = Read("sentence_order_label", integral: true),
            StartPositions = Read("start_positions", integral: true),
            EndPositions = Read("end_positions", integral: true),
            OutputHiddenStates = hiddenStates,
            OutputAttentions = attentions,
        };
    }
}
