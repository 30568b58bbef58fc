from pipewright import Pipeline, step


def test_runs_in_dependency_order():
    @step
    def a() -> int:
        return 2

    @step
    def b(a: int) -> int:
        return a * 3

    assert Pipeline([b, a]).run() == {"a": 2, "b": 6}
