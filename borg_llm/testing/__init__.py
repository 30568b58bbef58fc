"""borg_llm's test doubles, apart from the product: the OpenRouter stand-in (`server`), answers from a JSON schema
(`schemas`), recorded generations served again (`replay`) and the fault matrix (`faults`). Nothing in the product
imports this package except the CLI's developer commands, lazily."""

# Names are imported on first use, so `python -m borg_llm.testing.server` does not import its own module twice.
# `LoopServer` is the product's (`borg_llm.local`), named here for tests that serve an app of their own.
_LAZY = dict(Ask="schemas", find_schema="schemas", schema_instance="schemas", schema_violation="schemas",
             **{n: "server" for n in ("sample_projects", "DEFAULT_MODELS", "DEFAULT_PARAMS", "DEFAULT_PRICE", "FAULT_KINDS",
                                      "PROVIDER_FAILURES", "Fault", "LoopServer", "Record", "RemoteStandIn", "StandIn",
                                      "Stats", "parse_rate", "serve")})

def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'borg_llm.testing' has no attribute {name!r}")

__all__ = list(_LAZY)
