using AlbertGen;
using AlbertGen.Cli;

// Before anything loads libtorch: OpenMP reads its settings once, then (see AlbertRuntime.ConfigureForInference).
AlbertRuntime.ConfigureForInference();
return await CliApp.RunAsync(args, Console.Out, Console.Error);
