using AlbertGen.Training;

namespace AlbertGen.Tests.Training;

public class TrainingDataReaderTests
{
    [Fact]
    public void Jsonl_text_examples_keep_pairs_labels_and_line_numbers()
    {
        using var dir = new TempDirectory("training");
        string path = dir.File("train.jsonl", "{\"text\": \"a\", \"text_pair\": \"b\", \"label\": \"pos\"}\n\n{\"text\": \"c\", \"label\": 1}\n");
        var examples = TrainingDataReader.ReadFile(path, FineTuneTask.SequenceClassification).Cast<TextExample>().ToList();
        Assert.Equal(2, examples.Count);
        Assert.Equal(("a", "b", "pos"), (examples[0].Text, examples[0].TextPair, examples[0].Labels[0]));
        Assert.Equal("1", examples[1].Labels[0]);
        Assert.Equal(3, examples[1].Location!.Line);
    }

    [Fact]
    public void Csv_reads_quoted_fields_with_commas_quotes_and_line_breaks()
    {
        using var dir = new TempDirectory("training");
        string path = dir.File("train.csv", "text,label\n\"hello, \"\"world\"\"\",yes\n\"two\nlines\",no\n");
        var examples = TrainingDataReader.ReadFile(path, FineTuneTask.SequenceClassification).Cast<TextExample>().ToList();
        Assert.Equal("hello, \"world\"", examples[0].Text);
        Assert.Equal("two\nlines", examples[1].Text);
        Assert.Equal(3, examples[1].Location!.Line);
    }

    [Fact]
    public void Tagging_qa_and_choice_forms_are_read()
    {
        using var dir = new TempDirectory("training");
        var tags = (TaggingExample)TrainingDataReader.ReadFile(dir.File("t.jsonl", "{\"tokens\": [\"John\", \"runs\"], \"tags\": [\"B-PER\", \"O\"]}"), FineTuneTask.TokenClassification)[0];
        Assert.Equal(["B-PER", "O"], tags.Tags);
        var qa = (QuestionAnsweringExample)TrainingDataReader.ReadFile(
            dir.File("q.jsonl", "{\"id\": \"q1\", \"question\": \"who?\", \"context\": \"it was john.\", \"answers\": {\"text\": [\"john\"], \"answer_start\": [7]}}"),
            FineTuneTask.QuestionAnswering)[0];
        Assert.Equal(("john", 7), qa.Answers[0]);
        var mc = (MultipleChoiceExample)TrainingDataReader.ReadFile(dir.File("m.jsonl", "{\"question\": \"q\", \"choices\": [\"x\", \"y\", \"z\"], \"label\": 2}"), FineTuneTask.MultipleChoice)[0];
        Assert.Equal(2, mc.Label);
        var multi = (TextExample)TrainingDataReader.ReadFile(dir.File("ml.jsonl", "{\"text\": \"t\", \"label\": [\"a\", \"b\"]}"), FineTuneTask.MultiLabelClassification)[0];
        Assert.Equal(["a", "b"], multi.Labels);
    }

    [Fact]
    public void A_missing_field_names_the_file_line_and_field()
    {
        using var dir = new TempDirectory("training");
        string path = dir.File("bad.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{\"txt\": \"b\", \"label\": \"y\"}\n");
        var e = Assert.Throws<TrainingDataException>(() => TrainingDataReader.ReadFile(path, FineTuneTask.SequenceClassification));
        Assert.Equal(2, e.Location.Line);
        Assert.Contains(path + ":2", e.Message);
        Assert.Contains("'text'", e.Message);
    }

    [Fact]
    public void A_malformed_line_names_the_file_and_line()
    {
        using var dir = new TempDirectory("training");
        string path = dir.File("bad.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \n");
        var e = Assert.Throws<TrainingDataException>(() => TrainingDataReader.ReadFile(path, FineTuneTask.SequenceClassification));
        Assert.Contains(path + ":2", e.Message);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void An_empty_file_is_an_error_naming_it()
    {
        using var dir = new TempDirectory("training");
        string path = dir.File("empty.jsonl", "\n\n");
        var e = Assert.Throws<TrainingDataException>(() => TrainingDataReader.ReadFile(path, FineTuneTask.SequenceClassification));
        Assert.Contains(path, e.Message);
        Assert.Contains("no examples", e.Message);
    }

    [Fact]
    public void A_csv_row_with_the_wrong_field_count_names_its_line()
    {
        using var dir = new TempDirectory("training");
        string path = dir.File("bad.csv", "text,label\na,b\nc,d,e\n");
        var e = Assert.Throws<TrainingDataException>(() => TrainingDataReader.ReadFile(path, FineTuneTask.SequenceClassification));
        Assert.Contains(path + ":3", e.Message);
    }

    [Fact]
    public void Csv_with_crlf_line_ends_reads_as_with_lf()
    {
        using var dir = new TempDirectory("training");
        string path = dir.File("train.csv", "text,label\r\n\"a, b\",yes\r\nc,no\r\n");
        var examples = TrainingDataReader.ReadFile(path, FineTuneTask.SequenceClassification).Cast<TextExample>().ToList();
        Assert.Equal(["a, b", "c"], examples.Select(e => e.Text));
        Assert.Equal(["yes", "no"], examples.Select(e => e.Labels[0]));
        Assert.Equal(3, examples[1].Location!.Line);
    }

    [Theory]
    [InlineData("text,label\na,b\n\"never closed,no\n", ":3", "never closed")]
    [InlineData("text,label\na,b\n\"quoted\"tail,no\n", ":3", "after a closing quote")]
    public void Malformed_csv_quoting_names_the_file_and_line(string content, string line, string expected)
    {
        using var dir = new TempDirectory("training");
        string path = dir.File("bad.csv", content);
        var e = Assert.Throws<TrainingDataException>(() => TrainingDataReader.ReadFile(path, FineTuneTask.SequenceClassification));
        Assert.Contains(path + line, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Tags_and_tokens_of_different_lengths_are_refused()
    {
        using var dir = new TempDirectory("training");
        string path = dir.File("t.jsonl", "{\"tokens\": [\"a\", \"b\"], \"tags\": [\"O\"]}");
        var e = Assert.Throws<TrainingDataException>(() => TrainingDataReader.ReadFile(path, FineTuneTask.TokenClassification));
        Assert.Contains(path + ":1", e.Message);
    }

    [Fact]
    public void An_answer_start_that_does_not_point_at_the_answer_is_refused()
    {
        using var dir = new TempDirectory("training");
        string path = dir.File("q.jsonl", "{\"question\": \"who?\", \"context\": \"it was john.\", \"answers\": {\"text\": [\"john\"], \"answer_start\": [3]}}");
        var e = Assert.Throws<TrainingDataException>(() => TrainingDataReader.ReadFile(path, FineTuneTask.QuestionAnswering));
        Assert.Contains(path + ":1", e.Message);
        Assert.Contains("answer_start", e.Message);
    }

    [Fact]
    public async Task An_evaluation_label_unknown_to_the_training_data_names_the_eval_file_and_line()
    {
        using var dir = new TempDirectory("training");
        string train = dir.File("train.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \"y\"}\n");
        string eval = dir.File("eval.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \"z\"}\n");
        var options = new FineTuneOptions
        {
            TrainFile = train,
            EvalFile = eval,
            Config = TrainingFixtures.TinyConfig(),
            Tokenizer = TrainingFixtures.Tokenizer,
            OutputDirectory = Path.Combine(dir.Path, "out"),
            Epochs = 1,
        };
        var e = await Assert.ThrowsAsync<TrainingDataException>(() => FineTuner.RunAsync(options));
        Assert.Contains(eval + ":2", e.Message);
        Assert.Contains("unknown label 'z'", e.Message);
    }
}
