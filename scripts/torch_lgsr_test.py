#!/usr/bin/env python3
"""Tests of scripts/torch_lgsr.py. The pure-Python parts (data, graph, alias tables, pair
order, metrics, schedule, errors) run everywhere; those that need numpy or torch are skipped
where the module is missing. The real datasets are used where ../shared/data (beside the
repository) or $LGSR_DATA holds them. Usage: python3 scripts/torch_lgsr_test.py [-v]
Prints 'N passed, N failed, N skipped' last; exit 1 on any failure."""
import math
import os
import pickle
import random
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import torch_lgsr as T  # noqa: E402

try:
    import numpy as np
except ImportError:
    np = None
try:
    import torch
except ImportError:
    torch = None

DATA = os.environ.get("LGSR_DATA") or os.path.join(HERE, "..", "..", "shared", "data")
if not os.path.isdir(DATA):
    DATA = "/work/shared/data"


class Skip(Exception):
    pass


def need_numpy():
    if np is None:
        raise Skip("numpy not installed")


def need_torch():
    if torch is None:
        raise Skip("torch not installed")
    T.import_torch()


def need_data(name):
    d = os.path.join(DATA, name)
    if not os.path.isdir(d):
        raise Skip("no dataset " + d)
    return d


# ---- reference implementations (brute force, written independently of the module's code)

def ref_pairs(walk, before, after):
    out = []
    for i in range(len(walk)):
        for j in range(i - before, i + after + 1):
            if j != i and 0 <= j < len(walk):
                out.append((walk[j], walk[i]))
    return out


def ref_rank(scores, target):
    """scores: list over ids 1..n-1 (index j = id j+1)."""
    t = scores[target - 1]
    r = 1
    for j, s in enumerate(scores):
        item = j + 1
        if s > t or (s == t and item < target):
            r += 1
    return r


def random_sessions(rng, n_sessions, n_items, max_len=12):
    out = []
    for _ in range(n_sessions):
        n = rng.randint(2, max_len)
        # skewed items and some repeats
        s = [min(n_items - 1, 1 + int(rng.paretovariate(1.2)) % (n_items - 1)) for _ in range(n)]
        if rng.random() < 0.2:
            s.insert(rng.randrange(len(s)), s[0])
        out.append(s)
    return out


def write_dataset(folder, sessions, test_sessions):
    inputs, targets = [], []
    for s in sessions:
        for i in range(1, len(s)):
            inputs.append(s[:-i])
            targets.append(s[-i])
    te_in, te_tg = [], []
    for s in test_sessions:
        for i in range(1, len(s)):
            te_in.append(s[:-i])
            te_tg.append(s[-i])
    os.makedirs(folder, exist_ok=True)
    for name, obj in (("train.txt", (inputs, targets)), ("test.txt", (te_in, te_tg)), ("all_train_seq.txt", sessions)):
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump(obj, f, protocol=3)


# ---- pure Python

def test_pad_last():
    flat, lens = T.pad_last([[1, 2, 3], [4], list(range(1, 30))], 5)
    assert lens == [3, 1, 5]
    assert flat == [1, 2, 3, 0, 0, 4, 0, 0, 0, 0, 25, 26, 27, 28, 29]


def test_build_graph_small():
    sessions = [[1, 2, 2, 3], [2, 3, 1], [5, 5], [1, 2]]
    g = T.build_graph(sessions, 7)
    assert g["nodes"] == [1, 2, 3, 5]
    # edges: 1->2 x2, 2->3 x2, 3->1 x1 ; (2,2) and (5,5) are self loops, dropped
    assert g["offsets"] == [0, 0, 1, 2, 3, 3, 3, 3]
    assert g["targets"] == [2, 3, 1]
    assert g["weights"] == [1.0, 1.0, 1.0]
    assert g["degree"][1] == 3 and g["degree"][2] == 4 and g["degree"][3] == 3 and g["degree"][5] == 0
    assert g["by_degree"] == [2, 1, 3, 5]          # ties (1 and 3: degree 3) by smaller id


def test_build_graph_random():
    rng = random.Random(5)
    sessions = random_sessions(rng, 300, 40)
    g = T.build_graph(sessions, 40)
    counts = {}
    for s in sessions:
        for a, b in zip(s, s[1:]):
            if a != b:
                counts[(a, b)] = counts.get((a, b), 0) + 1
    for u in range(40):
        out = {v: c for (a, v), c in counts.items() if a == u}
        a, b = g["offsets"][u], g["offsets"][u + 1]
        assert g["targets"][a:b] == sorted(out), u
        tot = sum(out.values())
        for k in range(a, b):
            assert abs(g["weights"][k] - out[g["targets"][k]] / tot) < 1e-15
    deg = [0] * 40
    for (a, b), c in counts.items():
        deg[a] += c
        deg[b] += c
    assert g["degree"] == deg
    ranks = g["by_degree"]
    for x, y in zip(ranks, ranks[1:]):
        assert (deg[x], -x) > (deg[y], -y)


def alias_distribution(prob, alias, a, b):
    n = b - a
    mass = {k: 0.0 for k in range(a, b)}
    for k in range(a, b):
        mass[k] += prob[k] / n
        mass[alias[k]] += (1.0 - prob[k]) / n
    return mass


def test_alias_exact():
    rng = random.Random(7)
    offsets = [0]
    weights = []
    for _ in range(200):
        n = rng.choice([0, 1, 2, 3, 7, 40])
        w = [rng.random() ** 3 + 1e-6 for _ in range(n)]
        s = sum(w)
        weights.extend(x / s for x in w)
        offsets.append(len(weights))
    prob, alias = T.build_alias(offsets, weights)
    for u in range(len(offsets) - 1):
        a, b = offsets[u], offsets[u + 1]
        for k in range(a, b):
            assert a <= alias[k] < b and 0.0 <= prob[k] <= 1.0
        mass = alias_distribution(prob, alias, a, b)
        for k in range(a, b):
            assert abs(mass[k] - weights[k]) < 1e-12, (u, k, mass[k], weights[k])


def test_pairs_per_length():
    for n in range(0, 51):
        assert T.pairs_per_length(50, 8, 7)[n] == len(ref_pairs(list(range(n)), 8, 7))


def test_pairs_of_chunk_numpy():
    need_numpy()
    rng = random.Random(3)
    L = 50
    tables = [np.array(t) for t in T.skipgram_tables(L, 8, 7)]
    tables[2] = tables[2].astype(bool)
    walks, lens, expect = [], [], []
    for _ in range(60):
        n = rng.choice([1, 2, 3, 8, 9, 15, 16, 17, 30, 50])
        w = [rng.randint(1, 99) for _ in range(n)]
        expect.extend(ref_pairs(w, 8, 7))
        walks.append(w + [0] * (L - n))
        lens.append(n)
    ci, cl = T.pairs_of_chunk(np.array(walks), np.array(lens), *tables)
    assert list(zip(ci.tolist(), cl.tolist())) == expect


def test_ranks_numpy():
    need_numpy()
    rng = random.Random(11)
    B, n = 40, 30
    scores = [[float(rng.randint(0, 5)) for _ in range(n - 1)] for _ in range(B)]   # many ties
    targets = [rng.randint(1, n - 1) for _ in range(B)]
    got = T.ranks_from_scores(np.array(scores, dtype=np.float32), np.array(targets), np.arange(1, n), np.arange(B))
    assert got.tolist() == [ref_rank(s, t) for s, t in zip(scores, targets)]


def test_log_uniform_sums_to_one():
    for r in (1, 10, 17376):
        s = sum(T.log_uniform_probability(k, r) for k in range(r))
        assert abs(s - 1.0) < 1e-9


def test_lr_schedule():
    assert T.lr_at("constant", 10 ** 6, 1000, 512) == 1e-3
    every = 0.1 * 369859 / 512    # 72.2 steps
    assert T.lr_at("reference", 72, 369859, 512) == 1e-3
    assert abs(T.lr_at("reference", 73, 369859, 512) - 1e-4) < 1e-18
    steps_epoch = 369859 / 512
    assert T.lr_at("every:3", int(3 * steps_epoch), 369859, 512) == 1e-3
    assert abs(T.lr_at("every:3", int(3 * steps_epoch) + 1, 369859, 512) - 1e-4) < 1e-18
    assert every > 0
    for bad in ("every:0", "every:x", "cosine"):
        try:
            T.parse_schedule(bad)
            raise AssertionError("accepted " + bad)
        except T.UsageError:
            pass


def test_errors_exit_2():
    with tempfile.TemporaryDirectory() as d:
        script = os.path.join(HERE, "torch_lgsr.py")
        r = subprocess.run([sys.executable, script, "--data", os.path.join(d, "nope")], capture_output=True, text=True)
        assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "data folder not found" in r.stderr, r.stderr
        write_dataset(d, [[1, 2, 3]], [[1, 2]])
        os.remove(os.path.join(d, "test.txt"))
        r = subprocess.run([sys.executable, script, "--data", d], capture_output=True, text=True)
        assert r.returncode == 2 and "data file not found" in r.stderr and "test.txt" in r.stderr, r.stderr


def test_missing_torch_exit_2():
    # a python that cannot import torch: hide it behind a stub that raises ImportError
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "stub", "torch"))
        with open(os.path.join(d, "stub", "torch", "__init__.py"), "w") as f:
            f.write("raise ImportError('no torch here')\n")
        write_dataset(os.path.join(d, "ds"), [[1, 2, 3]], [[1, 2]])
        env = dict(os.environ, PYTHONPATH=os.path.join(d, "stub"))
        r = subprocess.run([sys.executable, os.path.join(HERE, "torch_lgsr.py"), "--data", os.path.join(d, "ds")],
                           capture_output=True, text=True, env=env)
        assert r.returncode == 2 and "PyTorch is not installed" in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_real_dataset_yoochoose():
    d = need_data("yoochoose1_64")
    ds = T.load_dataset(d)
    assert len(ds["train_targets"]) == 369859 and len(ds["test_targets"]) == 55898
    assert len(ds["sessions"]) == 116167 and ds["n_items"] == 37484
    # train.txt follows from all_train_seq.txt (MODEL.md 1): longest prefix first
    k = 0
    for s in ds["sessions"][:2000]:
        for i in range(1, len(s)):
            assert ds["train_inputs"][k] == s[:-i] and ds["train_targets"][k] == s[-i]
            k += 1
    flat, lens = T.pad_last(ds["train_inputs"][:1000], T.MAX_LEN)
    assert len(flat) == 1000 * T.MAX_LEN and max(lens) <= T.MAX_LEN
    g = T.build_graph(ds["sessions"], ds["n_items"])
    assert len(g["nodes"]) == 17376 and len(g["targets"]) == 131236
    prob, alias = T.build_alias(g["offsets"], g["weights"])
    worst = 0.0
    for u in g["nodes"][:3000]:
        a, b = g["offsets"][u], g["offsets"][u + 1]
        mass = alias_distribution(prob, alias, a, b)
        for e in range(a, b):
            worst = max(worst, abs(mass[e] - g["weights"][e]))
    assert worst < 1e-12, worst


def test_real_dataset_diginetica():
    d = need_data("diginetica")
    ds = T.load_dataset(d)
    assert len(ds["train_targets"]) == 719470 and len(ds["test_targets"]) == 60858
    assert ds["n_items"] == 43098


# ---- torch

def test_first_unique_torch():
    need_torch()
    rng = random.Random(2)
    for rows, m, s, rmax in ((20, 200, 30, 60), (5, 50, 10, 12), (8, 40, 39, 40)):
        k = [[rng.randrange(rmax) for _ in range(m)] for _ in range(rows)]
        take, tries, ok = T.NegativeSampler.first_unique(torch.tensor(k), s)
        for i, row in enumerate(k):
            seen, order, t = set(), [], 0
            for x in row:
                if len(order) == s:
                    break
                t += 1
                if x not in seen:
                    seen.add(x)
                    order.append(x)
            assert bool(ok[i]) == (len(order) == s)
            if len(order) == s:
                assert int(tries[i]) == t
                assert torch.tensor(k[i])[take[i]].tolist() == order


def test_negative_sampler_torch():
    need_torch()
    r, s = 1000, 100
    by_degree = list(range(1, r + 1))[::-1]
    gen = torch.Generator().manual_seed(1)
    smp = T.NegativeSampler(by_degree, r + 1, s, torch.device("cpu"), gen, block=8)
    counts = torch.zeros(r + 1)
    for _ in range(40):
        items, logq, tries = smp.next()
        assert items.numel() == s and len(set(items.tolist())) == s and int(tries) >= s
        counts[items] += 1
        # log Q of rank 0 (item r) and the expected-count formula
        p0 = T.log_uniform_probability(0, r)
        assert abs(float(smp.true_logq(torch.tensor([r]), tries)[0]) - math.log(-math.expm1(int(tries) * math.log1p(-p0)))) < 1e-5
    assert counts[r] == 40                  # the top-ranked item is in every draw
    assert counts[r - 1] > counts[500]


def test_walks_torch():
    need_torch()
    rng = random.Random(4)
    sessions = random_sessions(rng, 400, 30)
    sessions.append([29, 28])                # 28: maybe a sink
    g = T.build_graph(sessions, 30)
    prob, alias = T.build_alias(g["offsets"], g["weights"])
    gen = torch.Generator().manual_seed(3)
    walks, lens = T.generate_walks(g, prob, alias, 13, 50, torch.device("cpu"), gen)
    n = len(g["nodes"])
    assert walks.shape == (13 * n, 50)
    for r in range(13):
        assert sorted(walks[r * n:(r + 1) * n, 0].tolist()) == g["nodes"]
    edges = set()
    for u in range(30):
        for k in range(g["offsets"][u], g["offsets"][u + 1]):
            edges.add((u, g["targets"][k]))
    freq = {}
    for w, n_ in zip(walks.tolist(), lens.tolist()):
        assert all(x == 0 for x in w[n_:])
        for a, b in zip(w[:n_ - 1], w[1:n_]):
            assert (a, b) in edges
            freq[(a, b)] = freq.get((a, b), 0) + 1
        last = w[n_ - 1]
        if n_ < 50:
            assert g["offsets"][last + 1] == g["offsets"][last]    # ended at a sink
    # empirical transition frequencies of the busiest node against the weights
    u = max(range(30), key=lambda x: sum(c for (a, _), c in freq.items() if a == x))
    tot = sum(c for (a, _), c in freq.items() if a == u)
    for k in range(g["offsets"][u], g["offsets"][u + 1]):
        p = g["weights"][k]
        got = freq.get((u, g["targets"][k]), 0) / tot
        assert abs(got - p) < 5 * math.sqrt(p * (1 - p) / tot) + 1e-3, (got, p, tot)


def test_pairs_torch_and_batches():
    need_torch()
    rng = random.Random(9)
    L = 50
    walks, lens, expect = [], [], []
    for _ in range(37):
        n = rng.randint(1, L)
        w = [rng.randint(1, 99) for _ in range(n)]
        walks.append(w + [0] * (L - n))
        lens.append(n)
    walks, lens = torch.tensor(walks), torch.tensor(lens)
    order = torch.randperm(37)
    for i in order.tolist():
        expect.extend(ref_pairs(walks[i, :lens[i]].tolist(), 8, 7))
    tables = [torch.tensor(t) for t in T.skipgram_tables(L, 8, 7)]
    tables[2] = tables[2].bool()
    got = []
    sizes = []
    for inp, lab in T.pass_batches(walks, lens, order, tables, 100, 5, 10 ** 9):
        sizes.append(inp.numel())
        got.extend(zip(inp.tolist(), lab.tolist()))
    assert got == expect
    assert all(s == 100 for s in sizes[:-1]) and 0 < sizes[-1] <= 100
    assert len(sizes) == (len(expect) + 99) // 100
    few = list(T.pass_batches(walks, lens, order, tables, 100, 5, 3))
    assert len(few) == 3


def test_nce_loss_torch():
    need_torch()
    g = torch.Generator().manual_seed(0)
    n, d, B = 20, 6, 9
    E = torch.randn(n, d, generator=g, dtype=torch.float64)
    th = torch.randn(n, d, generator=g, dtype=torch.float64)
    b = torch.randn(n, generator=g, dtype=torch.float64)
    inp = torch.randint(1, n, (B,), generator=g)
    lab = torch.randint(1, n, (B,), generator=g)
    neg = torch.tensor([3, 5, 7, 11])
    lab[0] = 5                                   # an accidental hit
    nlq = torch.randn(4, generator=g, dtype=torch.float64)
    tlq = torch.randn(B, generator=g, dtype=torch.float64)
    got = float(T.nce_loss(E, th, b, inp, lab, neg, nlq, tlq))
    sp = lambda x: math.log1p(math.exp(-abs(x))) + max(x, 0.0)
    total = 0.0
    for i in range(B):
        v = E[inp[i]]
        t = float(v @ th[lab[i]] + b[lab[i]] - tlq[i])
        total += sp(-t)
        for k in range(4):
            if int(neg[k]) == int(lab[i]):
                continue
            x = float(v @ th[neg[k]] + b[neg[k]] - nlq[k])
            total += sp(x)
    assert abs(got - total / B) < 1e-10


def test_model_torch():
    need_torch()
    torch.manual_seed(0)
    M = T.make_model_class()
    m = M(50, d=16, max_len=19).double().eval()
    assert float(m.E[0].detach().abs().sum()) == 0 and float(m.P[0].detach().abs().sum()) == 0
    a = [3, 7, 9]
    b = [5, 1, 2, 8, 9, 4, 4]
    pad = lambda s, t: s + [0] * (t - len(s))
    # batch independence and independence of the slot count
    items = torch.tensor([pad(a, 19), pad(b, 19)])
    lens = torch.tensor([3, 7])
    out = m(items, lens)
    alone = m(torch.tensor([a]), torch.tensor([3]))
    assert torch.allclose(out[0], alone[0], atol=1e-12)
    # hand-written forward of session a, step by step, in the paper's terms
    x = m.E[torch.tensor(a)] + m.P[torch.tensor([3, 2, 1])]
    q, k, v = x @ m.Wq, x @ m.Wk, x @ m.Wv
    att = q @ k.t() / math.sqrt(16)
    att = att + torch.triu(torch.full((3, 3), float("-inf"), dtype=torch.float64), 1)
    s = m.ln1(torch.softmax(att, 1) @ v + x)
    f = m.ln2(torch.relu(s @ m.W1 + m.b1) @ m.W2 + m.b2 + s)
    ft = f[-1]
    h = torch.clamp(0.2 * (ft @ m.Wa1 + f @ m.Wa2) + 0.5, 0, 1)
    alpha = torch.softmax(h @ m.q, 0)
    sf = torch.cat([ft, (alpha[:, None] * f).sum(0)]) @ m.W3
    assert torch.allclose(out[0], sf, atol=1e-12)
    # gradient never reaches rows 0 of E and P
    m.train()
    loss = torch.nn.functional.cross_entropy(m.scores(m(items, lens)), torch.tensor([4, 6]))
    loss.backward()
    assert float(m.E.grad[0].abs().sum()) == 0 and float(m.P.grad[0].abs().sum()) == 0


def test_evaluate_torch():
    need_torch()
    torch.manual_seed(1)
    m = T.make_model_class()(30, d=8).eval()
    items = torch.randint(1, 30, (50, 19))
    lens = torch.randint(1, 20, (50,))
    items[torch.arange(19)[None, :] >= lens[:, None]] = 0
    tg = torch.randint(1, 30, (50,))
    p20, mrr, n = T.evaluate(m, items, lens, tg, 7, None)
    with torch.no_grad():
        sc = m.scores(m(items, lens)).tolist()
    ranks = [ref_rank(s, t) for s, t in zip(sc, tg.tolist())]
    assert n == 50
    assert abs(p20 - 100.0 * sum(r <= 20 for r in ranks) / 50) < 1e-9
    assert abs(mrr - 100.0 * sum(1.0 / r for r in ranks if r <= 20) / 50) < 1e-9


def test_cli_cpu_tiny():
    need_torch()
    rng = random.Random(8)
    with tempfile.TemporaryDirectory() as d:
        # 100 hub items and 600 leaves that only end sessions (sinks): > 512 nodes, short walks
        hub = lambda: rng.randint(1, 100)
        leaf = lambda: rng.randint(101, 700)
        sessions = [[hub() for _ in range(rng.randint(1, 8))] + [leaf()] for _ in range(2000)]
        test_s = [[hub() for _ in range(rng.randint(1, 3))] + [leaf()] for _ in range(60)]
        write_dataset(os.path.join(d, "tiny"), sessions, test_s)
        out = os.path.join(d, "r.json")
        rc = T.main(["--data", os.path.join(d, "tiny"), "--device", "cpu", "--out", out, "--epochs", "2"])
        assert rc == 0
        import json
        with open(out) as f:
            r = json.load(f)
        for key in ("device", "torch", "dataset", "n_items", "rec_epoch_s", "lg_pass_s", "walks_s", "eval_s",
                    "epoch_s", "steps", "p20", "mrr20", "bounded"):
            assert key in r, key
        assert r["dataset"] == "tiny" and r["bounded"] is False and r["epochs"] == 2
        assert abs(r["epoch_s"] - (2 * r["lg_pass_s"] + r["rec_epoch_s"] + r["eval_s"])) < 1e-9
        assert r["per_epoch"][0]["lg"][0]["batches"] == r["lg_batches_per_pass"]
        assert r["steps"] == r["rec_steps_per_epoch"]
        assert 0 <= r["p20"] <= 100 and 0 <= r["mrr20"] <= r["p20"]
        # bounded run: extrapolated
        rc = T.main(["--data", os.path.join(d, "tiny"), "--device", "cpu", "--out", out, "--max-lg-batches", "2",
                     "--max-rec-steps", "4", "--warmup", "1", "--max-eval-samples", "50"])
        assert rc == 0
        with open(out) as f:
            r = json.load(f)
        assert r["bounded"] is True and r["steps"] == 4 and r["per_epoch"][0]["eval_samples"] == 50
        lg = r["per_epoch"][0]["lg"][0]
        assert r["lg_batches_per_pass"] > 2, r["lg_batches_per_pass"]
        assert lg["batches"] == 2 and lg["extrapolated"]
        assert abs(lg["pass_s"] - lg["batch_ms"] / 1000 * r["lg_batches_per_pass"]) < 1e-9


def main():
    verbose = "-v" in sys.argv
    tests = [(k, v) for k, v in sorted(globals().items()) if k.startswith("test_") and callable(v)]
    passed = failed = skipped = 0
    for name, fn in tests:
        try:
            fn()
            passed += 1
            if verbose:
                print("ok   " + name)
        except Skip as e:
            skipped += 1
            print("skip %s: %s" % (name, e))
        except Exception:
            failed += 1
            print("FAIL " + name)
            traceback.print_exc()
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
