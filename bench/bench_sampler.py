"""Grammar-constrained sampling four ways, on one local model, in one process: seconds per answer and what they cost.

Run: python bench/bench_sampler.py [MODEL] [--projects NAME ...] [--roles ROLE ...] [--variants V ...]
For each project and specialist role, the role's messages (its local roster's prompt) are answered with the role's
sampling settings and grammar, once per variant, with the model's KV cache reset before each:
  chain     llama-cpp-python's own chain: the grammar checks the whole vocabulary at every token;
  shortlist borg_llm.sampler: the grammar checks the best candidates first, and where too few of them pass, what
            the one- and two-byte probes leave of the vocabulary (the same tokens as `chain`);
  no-probes the shortlist alone: where too few of the best candidates pass, the whole vocabulary is checked;
  check     llama.cpp's server's way: sample without the grammar, check that token, resample under it if rejected.
Prints per variant: seconds of prompt evaluation, of generation, and of everything else (sampling, grammar, template),
from llama.cpp's own counters; tokens generated; answers equal to the first variant's; answers valid. Numbers only.
"""
import argparse, ctypes, math, statistics, sys, time
import numpy as np
import llama_cpp.llama_cpp as C
from llama_cpp import Llama, llama
from borg_llm import catalogue, sampler
from borg_llm.config import PROJECT_ROOT, Settings, load_roster, prompts_dir
from borg_llm.facts import load_project
from borg_llm.grammar import grammar_for
from borg_llm.prompts import render
from borg_llm.schemas import ROLE_SCHEMAS

class SampleThenCheck(sampler.ShortlistSampler):
    "llama.cpp server's order: sample from the chain without the grammar, check the token, resample with it if needed."
    def sample(self, ctx, idx=-1):
        v = self.vocab
        def fresh():
            v["id"], v["logit"], v["p"] = self.ids, np.ctypeslib.as_array(C.llama_get_logits_ith(ctx.ctx, idx), (self.n,)), 0
            return sampler.token_array(v)
        arr = fresh()
        for i, part in enumerate(self.parts):
            if i != 1: C.llama_sampler_apply(part, ctypes.byref(arr))
        token = int(v["id"][arr.selected])
        one = np.array([(token, 1.0, 0.0)], sampler.TOKEN_DATA); C.llama_sampler_apply(self.parts[1], ctypes.byref(sampler.token_array(one)))
        if math.isinf(float(one["logit"][0])):
            arr = fresh()
            for part in self.parts: C.llama_sampler_apply(part, ctypes.byref(arr))
            token = int(v["id"][arr.selected])
        self.accept(token)
        return token

VARIANTS = {"check": SampleThenCheck, "no-probes": sampler.ShortlistSampler} # rebuilt without the prefixes

def use(variant:str):
    "Make `Llama` sample grammar chains the `variant` way."
    sampler.install(variant != "chain")
    if variant in VARIANTS:
        init = llama.Llama._init_sampler
        def rebuilt(self, **kw):
            s = init(self, **kw)
            return VARIANTS[variant](s.chain, s.n, s.need, s.probe) if isinstance(s, sampler.ShortlistSampler) else s
        rebuilt.plain = init.plain
        llama.Llama._init_sampler = rebuilt

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default=catalogue.DEFAULT_MODEL)
    ap.add_argument("--projects", nargs="+", default=["snake-toy", "ledgerd"])
    ap.add_argument("--roles", nargs="+", default=["architect", "deployment", "business"])
    ap.add_argument("--variants", nargs="+", default=["chain", "shortlist", "no-probes", "check"],
                    choices=["chain", "shortlist", "no-probes", "check"], help="the first is the one answers are compared with")
    a = ap.parse_args(argv)
    m = catalogue.get_model(a.model)
    roster = load_roster(prompts_dir(Settings())/m.roster)
    sampler.skip_repack()  # as in the servers borg_llm starts
    llm = Llama(str(catalogue.model_file(a.model)), n_ctx=m.n_ctx, n_threads=2, n_threads_batch=2,
                chat_format=m.chat_format, verbose=False)
    rows, first = {v: [] for v in a.variants}, {}
    for name in a.projects:
        facts = load_project(PROJECT_ROOT/"data"/"repos"/name)
        for role in a.roles:
            spec = roster[role]
            msgs = render(role, facts, spec.prompt).messages
            fmt = {"type": "json_object", "schema": grammar_for(ROLE_SCHEMAS[role], spec.max_tokens)}
            for variant in rows:
                use(variant); sampler.counts.clear(); llm.reset(); C.llama_perf_context_reset(llm._ctx.ctx)
                t0 = time.perf_counter()
                r = llm.create_chat_completion(msgs, response_format=fmt, temperature=spec.temperature, seed=spec.seed,
                                               max_tokens=spec.max_tokens)
                total, p = time.perf_counter() - t0, C.llama_perf_context(llm._ctx.ctx)
                text = r["choices"][0]["message"]["content"]
                try: ROLE_SCHEMAS[role].model_validate_json(text); valid = True
                except ValueError: valid = False
                rows[variant].append(dict(prompt=p.t_p_eval_ms/1000, gen=p.t_eval_ms/1000,
                                          other=total - (p.t_p_eval_ms + p.t_eval_ms)/1000, tokens=p.n_eval,
                                          same=first.setdefault((name, role), text) == text, valid=valid,
                                          short=sampler.counts["shortlist"], full=sampler.counts["vocabulary"]))
                print(f"{variant:9} {name} {role}: {rows[variant][-1]}", file=sys.stderr, flush=True)
    sampler.install(False)
    print(f"{a.model}, {len(rows[a.variants[0]])} answers ({', '.join(a.projects)} × {', '.join(a.roles)}), 2 threads\n")
    print("| sampling | prompt s | generation s | other s, median per answer | other s, total | tokens "
          f"| shortlist steps | same answer as {a.variants[0]} | valid |\n|---|---|---|---|---|---|---|---|---|")
    for v, rs in rows.items():
        tot = lambda k: sum(r[k] for r in rs)
        print(f"| {v} | {tot('prompt'):.1f} | {tot('gen'):.1f} | {statistics.median(r['other'] for r in rs):.2f} "
              f"| {tot('other'):.1f} | {tot('tokens')} | {tot('short')}/{tot('short') + tot('full')} "
              f"| {sum(r['same'] for r in rs)}/{len(rs)} | {sum(r['valid'] for r in rs)}/{len(rs)} |")

if __name__ == "__main__": main()
