"""borg_llm's test doubles, apart from the product: answers from a JSON schema (`schemas`), the OpenRouter stand-in's
fault rules and records (`records`), the stand-in server (`server`), the stand-in in another process and sample
projects (`remote`), the provider's fault matrix (`faults`), a machine to damage (`damage`) and the matrix of that
damage (`env_faults`), and recorded generations served again (`replay`). Nothing in the product imports this package
except the CLI's developer commands, lazily."""

# Names are imported on first use, so `python -m borg_llm.testing.server` does not import its own module twice.
# `LoopServer` is the product's (`borg_llm.serving`), named here for tests that serve an app of their own.
_LAZY = dict(Ask="schemas", find_schema="schemas", schema_instance="schemas", schema_violation="schemas",
             **{n: "records" for n in ("FAULT_KINDS", "PROVIDER_FAILURES", "Fault", "Record", "Stats")},
             **{n: "server" for n in ("DEFAULT_MODELS", "DEFAULT_PARAMS", "DEFAULT_PRICE", "LoopServer", "StandIn",
                                      "parse_rate", "serve")},
             **{n: "remote" for n in ("RemoteStandIn", "sample_projects")})

def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'borg_llm.testing' has no attribute {name!r}")

__all__ = list(_LAZY)
