"""Steps, their dependency graph and a local runner."""
from __future__ import annotations
import inspect
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any, Callable


@dataclass(frozen=True)
class Step:
    fn: Callable[..., Any]
    name: str
    inputs: tuple[str, ...]


def step(fn: Callable[..., Any]) -> Step:
    """Declare a step; its parameters name the steps it reads."""
    return Step(fn, fn.__name__, tuple(inspect.signature(fn).parameters))


@dataclass
class Pipeline:
    steps: list[Step]
    outputs: dict[str, Any] = field(default_factory=dict)

    def order(self) -> list[str]:
        return list(TopologicalSorter({s.name: set(s.inputs) for s in self.steps}).static_order())

    def run(self) -> dict[str, Any]:
        by_name = {s.name: s for s in self.steps}
        for name in self.order():
            s = by_name[name]
            self.outputs[name] = s.fn(*(self.outputs[i] for i in s.inputs))
        return self.outputs
