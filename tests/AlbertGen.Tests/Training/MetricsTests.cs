using AlbertGen.Training;

namespace AlbertGen.Tests.Training;

public class MetricsTests
{
    [Fact]
    public void Entity_f1_matches_seqeval_on_its_documentation_example()
    {
        // seqeval README: y_true = [['O','O','O','B-MISC','I-MISC','I-MISC','O'],['B-PER','I-PER','O']],
        // y_pred = [['O','O','B-MISC','I-MISC','I-MISC','I-MISC','O'],['B-PER','I-PER','O']] → f1 = 0.5
        string[][] gold = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]];
        string[][] predicted = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]];
        (double p, double r, double f) = Metrics.EntityF1(predicted, gold);
        Assert.Equal(0.5, p, 12);
        Assert.Equal(0.5, r, 12);
        Assert.Equal(0.5, f, 12);
    }

    [Fact]
    public void An_inside_tag_after_outside_starts_an_entity_as_in_seqeval_default_mode()
    {
        Assert.Equal([("LOC", 1, 2)], Metrics.Entities(["O", "I-LOC", "I-LOC", "O"]).ToList());
        Assert.Equal([("A", 0, 0), ("B", 1, 1)], Metrics.Entities(["B-A", "I-B"]).ToList());
    }

    [Fact]
    public void Squad_scores_normalise_case_punctuation_and_articles()
    {
        Assert.Equal(1, Metrics.ExactMatch("The Eiffel tower!", ["eiffel  tower"]));
        Assert.Equal(0, Metrics.ExactMatch("tower", ["eiffel tower"]));
        Assert.Equal(2.0 / 3, Metrics.AnswerF1("tower", ["eiffel tower"]), 12);
        Assert.Equal(1, Metrics.AnswerF1("x", ["y", "x"]));
    }

    [Fact]
    public void Regression_and_classification_metrics()
    {
        Assert.Equal(1, Metrics.Pearson([1, 2, 3], [2, 4, 6]), 12);
        Assert.Equal(-1, Metrics.Pearson([1, 2, 3], [3, 2, 1]), 12);
        Assert.Equal(2.0 / 3, Metrics.MeanSquaredError([1, 2, 3], [2, 2, 2]), 12);
        Assert.Equal(0.75, Metrics.Accuracy([1, 0, 1, 1], [1, 0, 0, 1]));
        Assert.Equal(0.5, Metrics.MicroF1([[true, false]], [[true, true]]) * 0.75, 12);
    }
}
