#!/usr/bin/env python3
"""LGSR in plain PyTorch: the reference for the speed comparison of our GPU engine.

A straightforward implementation of docs/MODEL.md (the recommendation module of section 2 and
the global encoder of section 3, trained as in section 4), written the ordinary PyTorch way:
nn.Module, autograd, torch.nn.functional, torch.optim.Adam, FP32, no custom kernels. It times
one epoch (g passes of L_g over the walk pairs, one pass of L_rec, one evaluation) on the
chosen device with CUDA events and writes the times and metrics as JSON.

Where the work runs:
- pickles, item graph, degree ranking and alias tables (Vose): plain Python on the host, once;
- random walks: torch on the device, all T rounds' walkers stepped together, each step drawn
  from the alias tables (one uniform picks the slot, one the slot's side);
- skip-gram pairs: torch on the device, per chunk of walks of each pass's shuffled order;
- negatives (TF's unique log-uniform sampler over nodes ranked by degree, with its expected
  counts for the log-Q correction): torch on the device, drawn for blocks of batches at once;
- the two losses, backward passes and Adam steps: torch on the device.

Differences from the reference run that do not change the work done: the random streams are
torch's (not the engine's SplitMix64/Philox), and torch's Adam adds epsilon after the bias
correction of sqrt(v), where TF adds it before (the same work per step).

Usage:
  python3 scripts/torch_lgsr.py --data ../shared/data/yoochoose1_64 --out torch_lgsr.json
  python3 scripts/torch_lgsr.py --data ... --max-lg-batches 200 --max-rec-steps 200  (bounded)
Exit codes: 0 done, 2 bad arguments, missing data or missing PyTorch.
"""
import argparse
import json
import math
import os
import pickle
import random
import sys
import time

PROG = "torch_lgsr"

# MODEL.md section 5 (and the [code] facts of sections 2-4)
DIM = 100
MAX_LEN = 19
DROPOUT = 0.3
L2 = 1e-6
LR = 1e-3
BATCH = 512
WALK_ROUNDS = 13
WALK_LEN = 50
WINDOW_BEFORE = 8
WINDOW_AFTER = 7
NEGATIVES = 512
LG_BATCH = 8192
LG_CONVERGED = 5e-4
LN_EPS = 1e-8
ADAM_EPS = 1e-8
TOP_K = 20


class UsageError(Exception):
    """A problem the user can fix (missing file, bad flag): one line, exit code 2."""


# ---------------------------------------------------------------------------------------------
# Pure Python: data, graph, alias tables, pair tables, metrics (tested without torch)
# ---------------------------------------------------------------------------------------------

DATA_FILES = ("train.txt", "test.txt", "all_train_seq.txt")


def check_data_dir(path):
    """Raises UsageError naming what is missing."""
    if not os.path.isdir(path):
        raise UsageError("data folder not found: " + path)
    for name in DATA_FILES:
        f = os.path.join(path, name)
        if not os.path.isfile(f):
            raise UsageError("data file not found: " + f)


def _load_pickle(path):
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError) as e:
        raise UsageError("cannot read %s: %s" % (path, e))


def load_dataset(path):
    """Returns dict: train_inputs, train_targets, test_inputs, test_targets, sessions, n_items
    (largest item id + 1 over everything; id 0 is padding)."""
    check_data_dir(path)
    train = _load_pickle(os.path.join(path, "train.txt"))
    test = _load_pickle(os.path.join(path, "test.txt"))
    sessions = _load_pickle(os.path.join(path, "all_train_seq.txt"))
    for name, pair in (("train.txt", train), ("test.txt", test)):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and len(pair[0]) == len(pair[1])):
            raise UsageError("%s: expected a pair (inputs, targets) of equal lengths" % os.path.join(path, name))
    if not isinstance(sessions, list):
        raise UsageError("%s: expected a list of sessions" % os.path.join(path, "all_train_seq.txt"))
    largest = 0
    for seqs in (train[0], test[0], sessions):
        for s in seqs:
            if s:
                m = max(s)
                if m > largest:
                    largest = m
    for t in (train[1], test[1]):
        if t:
            largest = max(largest, max(t))
    return {
        "train_inputs": train[0], "train_targets": list(train[1]),
        "test_inputs": test[0], "test_targets": list(test[1]),
        "sessions": sessions, "n_items": largest + 1,
    }


def pad_last(seqs, max_len):
    """The last max_len items of each sequence, left-aligned, padded with 0.
    Returns (flat list of len(seqs) * max_len ints, list of lengths)."""
    flat = []
    lens = []
    pad = [0] * max_len
    for s in seqs:
        tail = s[-max_len:]
        n = len(tail)
        if n == 0:
            raise UsageError("empty input sequence")
        flat.extend(tail)
        flat.extend(pad[:max_len - n])
        lens.append(n)
    return flat, lens


def build_graph(sessions, n_items):
    """MODEL.md 3.1: directed item graph of consecutive pairs u != v, weights normalized over
    each node's out-edges. Returns dict:
      nodes     ascending ids of the items that occur
      offsets   CSR row starts, length n_items + 1
      targets   edge -> target item (rows sorted by target)
      weights   edge -> count / out-count of its source
      degree    item -> number of transitions into and out of it (u != v, with multiplicity)
      by_degree rank -> item (degree descending, ties by smaller id)
    """
    counts = {}
    present = [False] * n_items
    degree = [0] * n_items
    for s in sessions:
        prev = None
        for v in s:
            present[v] = True
            if prev is not None and prev != v:
                key = (prev, v)
                counts[key] = counts.get(key, 0) + 1
                degree[prev] += 1
                degree[v] += 1
            prev = v
    keys = sorted(counts)
    offsets = [0] * (n_items + 1)
    targets = []
    raw = []
    for (u, v) in keys:
        offsets[u + 1] += 1
        targets.append(v)
        raw.append(counts[(u, v)])
    for u in range(n_items):
        offsets[u + 1] += offsets[u]
    weights = [0.0] * len(raw)
    for u in range(n_items):
        a, b = offsets[u], offsets[u + 1]
        if b > a:
            total = float(sum(raw[a:b]))
            for k in range(a, b):
                weights[k] = raw[k] / total
    nodes = [i for i in range(n_items) if present[i]]
    by_degree = sorted(nodes, key=lambda i: (-degree[i], i))
    return {"nodes": nodes, "offsets": offsets, "targets": targets, "weights": weights,
            "degree": degree, "by_degree": by_degree}


def build_alias(offsets, weights):
    """Vose's alias tables per CSR row, global edge indices: drawing slot k uniformly among a
    row's edges, then k with probability prob[k] and alias[k] otherwise, picks each edge with
    its weight. Returns (prob, alias) lists of len(weights)."""
    m = len(weights)
    prob = [1.0] * m
    alias = list(range(m))
    for u in range(len(offsets) - 1):
        a, b = offsets[u], offsets[u + 1]
        n = b - a
        if n <= 1:
            continue
        scaled = [weights[k] * n for k in range(a, b)]
        small = [i for i in range(n) if scaled[i] < 1.0]
        large = [i for i in range(n) if scaled[i] >= 1.0]
        while small and large:
            s = small.pop()
            g = large[-1]
            prob[a + s] = scaled[s]
            alias[a + s] = a + g
            scaled[g] = (scaled[g] + scaled[s]) - 1.0
            if scaled[g] < 1.0:
                large.pop()
                small.append(g)
        for i in large + small:   # leftovers are 1 up to rounding
            prob[a + i] = 1.0
            alias[a + i] = a + i
    return prob, alias


def skipgram_tables(walk_len, before, after):
    """Static tables for the pairs of a walk of up to walk_len nodes: for centre position p
    and the k-th context offset (-before..-1, 1..after, increasing), ctx_pos[p][k] (clamped
    into the walk array), centre_pos[p][k] = p and inside[p][k] = whether p + offset lies in
    0..walk_len-1. Lists of walk_len lists of before + after ints."""
    offs = list(range(-before, 0)) + list(range(1, after + 1))
    ctx_pos, centre_pos, inside = [], [], []
    for p in range(walk_len):
        ctx_pos.append([min(max(p + o, 0), walk_len - 1) for o in offs])
        centre_pos.append([p] * len(offs))
        inside.append([1 if 0 <= p + o < walk_len else 0 for o in offs])
    return ctx_pos, centre_pos, inside


def pairs_of_chunk(walks, lens, ctx_pos, centre_pos, inside):
    """Skip-gram pairs of a chunk of walks (rows of `walks`, `lens` valid nodes each), in the
    order: walk, centre position, context position increasing. Works on numpy arrays and on
    torch tensors alike (all arguments of the same kind; `inside` boolean).
    Returns (inputs = context items, labels = centre items) [code]."""
    ctx = walks[:, ctx_pos]
    centre = walks[:, centre_pos]
    ln = lens[:, None, None]
    valid = inside[None, :, :] & (centre_pos[None, :, :] < ln) & (ctx_pos[None, :, :] < ln)
    return ctx[valid], centre[valid]


def pairs_per_length(walk_len, before, after):
    """count[l] = number of pairs a walk of l nodes yields, l = 0..walk_len."""
    out = []
    for n in range(walk_len + 1):
        out.append(sum(min(n - 1, p + after) - max(0, p - before) for p in range(n)))
    return out


def log_uniform_probability(rank, n_range):
    """TF's log-uniform sampler: P(rank) = (log(rank + 2) - log(rank + 1)) / log(range + 1)."""
    return math.log((rank + 2.0) / (rank + 1.0)) / math.log(n_range + 1.0)


def ranks_from_scores(scores, targets, ids, rows):
    """Rank of each target under the tie rule: 1 + #(higher) + #(equal with smaller id).
    scores (B, n-1) over item ids `ids` (= 1..n-1), targets (B,) item ids, rows = arange(B);
    numpy arrays or torch tensors alike."""
    t = scores[rows, targets - 1][:, None]
    higher = (scores > t).sum(1)
    tied = ((scores == t) & (ids[None, :] < targets[:, None])).sum(1)
    return 1 + higher + tied


def lr_at(schedule, step, n_train, batch):
    """The learning rate after `step` recommendation steps: 'constant', 'reference'
    (x0.1 every 0.1 * n_train / 512 steps) or 'every:E' (x0.1 every E epochs)."""
    if schedule == "constant":
        return LR
    if schedule == "reference":
        every = 0.1 * n_train / 512.0
    else:
        every = float(schedule[6:]) * n_train / batch
    return LR * 0.1 ** math.floor(step / every)


def parse_schedule(s):
    if s in ("constant", "reference"):
        return s
    if s.startswith("every:"):
        try:
            if float(s[6:]) > 0:
                return s
        except ValueError:
            pass
    raise UsageError("--lr-schedule: expected constant, reference or every:E with E > 0, got '%s'" % s)


# ---------------------------------------------------------------------------------------------
# PyTorch parts (torch is imported by main(); the functions take it as the module global)
# ---------------------------------------------------------------------------------------------

torch = None
nn = None
F = None


def import_torch():
    global torch, nn, F
    try:
        import torch as _torch
        import torch.nn as _nn
        import torch.nn.functional as _F
    except ImportError as e:
        raise UsageError("PyTorch is not installed (import torch failed: %s)" % e)
    torch, nn, F = _torch, _nn, _F
    return torch


def make_model_class():
    class LgsrRec(nn.Module):
        """MODEL.md section 2: embeddings + positions, one causal self-attention layer, FFN,
        attentive aggregation, W3. Weights are (in, out) as in the paper: y = x W."""

        def __init__(self, n_items, d=DIM, max_len=MAX_LEN, dropout=DROPOUT, sigmoid="hard"):
            super().__init__()
            self.d = d
            self.sigmoid = sigmoid
            p = lambda *shape: nn.Parameter(torch.empty(*shape))
            self.E = p(n_items, d)
            self.P = p(max_len + 1, d)
            self.Wq, self.Wk, self.Wv = p(d, d), p(d, d), p(d, d)
            self.ln1 = nn.LayerNorm(d, eps=LN_EPS)
            self.W1, self.b1, self.W2, self.b2 = p(d, d), p(d), p(d, d), p(d)
            self.ln2 = nn.LayerNorm(d, eps=LN_EPS)
            self.Wa1, self.Wa2, self.q = p(d, d), p(d, d), p(d)
            self.W3 = p(2 * d, d)
            self.drop = nn.Dropout(dropout)
            bound = 1.0 / math.sqrt(d)
            with torch.no_grad():
                for name, w in self.named_parameters():
                    if not name.startswith("ln"):
                        w.uniform_(-bound, bound)
                self.E[0].zero_()
                self.P[0].zero_()

        def forward(self, items, lens):
            """items (B, T) left-aligned, 0-padded; lens (B,) >= 1. Returns s_f (B, d)."""
            B, T = items.shape
            slot = torch.arange(T, device=items.device)
            valid = slot[None, :] < lens[:, None]
            pos = torch.where(valid, lens[:, None] - slot[None, :], torch.zeros_like(items))
            x = F.embedding(items, self.E, padding_idx=0) + F.embedding(pos, self.P, padding_idx=0)
            x = self.drop(x)
            q, k, v = x @ self.Wq, x @ self.Wk, x @ self.Wv
            logits = q @ k.transpose(1, 2) / math.sqrt(self.d)
            causal = slot[None, :] <= slot[:, None]                  # key j <= query i
            allowed = causal[None, :, :] & valid[:, None, :]
            logits = logits.masked_fill(~allowed, float("-inf"))     # key 0 always allowed
            a = torch.softmax(logits, dim=-1) * valid[:, :, None].to(x.dtype)
            a = self.drop(a)
            s = self.ln1(a @ v + x)
            h = self.drop(torch.relu(s @ self.W1 + self.b1))
            f = self.ln2(self.drop(h @ self.W2 + self.b2) + s)
            ft = f[torch.arange(B, device=items.device), lens - 1]
            g = f @ self.Wa2 + (ft @ self.Wa1)[:, None, :]
            if self.sigmoid == "hard":
                g = torch.clamp(0.2 * g + 0.5, 0.0, 1.0)
            else:
                g = torch.sigmoid(g)
            e = (g @ self.q).masked_fill(~valid, float("-inf"))
            alpha = torch.softmax(e, dim=1)
            sl = (alpha[:, :, None] * f).sum(1)
            cat = self.drop(torch.cat([ft, sl], dim=1))
            return cat @ self.W3

        def scores(self, sf):
            """Scores of items 1..n-1 (column j is item j + 1)."""
            return sf @ self.E[1:].t()

    return LgsrRec


class Clock:
    """Marks on the device's timeline: CUDA events on cuda, perf_counter after a sync on cpu."""

    def __init__(self, device):
        self.cuda = device.type == "cuda"

    def mark(self):
        if self.cuda:
            ev = torch.cuda.Event(enable_timing=True)
            ev.record()
            return ev
        return time.perf_counter()

    def seconds(self, a, b):
        if self.cuda:
            b.synchronize()
            return a.elapsed_time(b) / 1000.0
        return b - a


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def generate_walks(g, alias_prob, alias_idx, rounds, walk_len, device, gen):
    """MODEL.md 3.2 with torch on `device`: walk r * N + s starts at the s-th node of round r's
    random order; each step draws an out-edge from the alias tables; a walk ends at a node
    without out-edges. Returns (walks (W, walk_len) long, 0-padded; lens (W,) long)."""
    nodes = torch.tensor(g["nodes"], dtype=torch.long, device=device)
    offsets = torch.tensor(g["offsets"], dtype=torch.long, device=device)
    targets = torch.tensor(g["targets"] or [0], dtype=torch.long, device=device)
    prob = torch.tensor(alias_prob or [1.0], dtype=torch.float64, device=device)
    alias = torch.tensor(alias_idx or [0], dtype=torch.long, device=device)
    deg = offsets[1:] - offsets[:-1]
    n = nodes.numel()
    starts = torch.cat([nodes[torch.randperm(n, device=device, generator=gen)] for _ in range(rounds)])
    w = starts.numel()
    walks = torch.zeros((w, walk_len), dtype=torch.long, device=device)
    walks[:, 0] = starts
    lens = torch.ones(w, dtype=torch.long, device=device)
    cur = starts
    alive = torch.ones(w, dtype=torch.bool, device=device)
    last_edge = max(len(g["targets"]) - 1, 0)
    for step in range(1, walk_len):
        d = deg[cur]
        alive = alive & (d > 0)
        u = torch.rand((2, w), dtype=torch.float64, device=device, generator=gen)
        k = torch.minimum((u[0] * d).long(), (d - 1).clamp(min=0))
        edge = (offsets[cur] + k).clamp(max=last_edge)
        edge = torch.where(u[1] < prob[edge], edge, alias[edge])
        nxt = targets[edge]
        cur = torch.where(alive, nxt, cur)
        walks[:, step] = torch.where(alive, nxt, torch.zeros_like(nxt))
        lens += alive.long()
    return walks, lens


class NegativeSampler:
    """TF's log_uniform_candidate_sampler with unique=True over the graph's nodes ranked by
    degree: per batch, draws repeat until `s` distinct ranks are found; `tries` counts every
    draw; the expected count of a rank is 1 - (1 - P)^tries (P * s when tries == s). Draws
    for `block` batches at once on the device."""

    def __init__(self, by_degree, n_items, s, device, gen, block=64):
        r = len(by_degree)
        if s > r:
            raise UsageError("%d unique negatives but only %d graph nodes" % (s, r))
        self.s, self.range, self.device, self.gen, self.block = s, r, device, gen, block
        self.item_of_rank = torch.tensor(by_degree, dtype=torch.long, device=device)
        rank_of_item = [-1] * n_items
        for k, item in enumerate(by_degree):
            rank_of_item[item] = k
        self.rank_of_item = torch.tensor(rank_of_item, dtype=torch.long, device=device)
        ranks = torch.arange(r, dtype=torch.float64, device=device)
        self.log_range = math.log(r + 1.0)
        self.p = torch.log((ranks + 2.0) / (ranks + 1.0)) / self.log_range
        # draws per row so that s distinct ranks are almost always among them
        self.draws = max(4 * s, 64)
        self.queue = []

    def draw_ranks(self, rows, m):
        u = torch.rand((rows, m), dtype=torch.float64, device=self.device, generator=self.gen)
        k = torch.floor(torch.exp(u * self.log_range)).long() - 1
        return k.clamp(0, self.range - 1)

    @staticmethod
    def first_unique(k, s):
        """Per row of k (draws in order): the first s distinct values in order of first
        appearance, the number of draws that took (tries), and whether the row had s."""
        sv, si = torch.sort(k, dim=1, stable=True)
        first_sorted = torch.ones_like(sv, dtype=torch.bool)
        first_sorted[:, 1:] = sv[:, 1:] != sv[:, :-1]
        first = torch.zeros_like(first_sorted).scatter_(1, si, first_sorted)
        cum = first.long().cumsum(1)
        ok = cum[:, -1] >= s
        tries = (cum < s).sum(1) + 1
        take = first & (cum <= s)
        return take, tries, ok

    def _fill(self):
        rows = self.block
        k = self.draw_ranks(rows, self.draws)
        take, tries, ok = self.first_unique(k, self.s)
        m = self.draws
        while not bool(ok.all()):
            m *= 2
            bad = (~ok).nonzero().flatten()
            k2 = self.draw_ranks(bad.numel(), m)
            t2, tr2, ok2 = self.first_unique(k2, self.s)
            kk = torch.zeros((rows, m), dtype=k.dtype, device=k.device)
            tt = torch.zeros((rows, m), dtype=torch.bool, device=k.device)
            kk[:, :k.shape[1]] = k
            tt[:, :k.shape[1]] = take
            kk[bad], tt[bad] = k2, t2
            tries[bad], ok[bad] = tr2, ok2
            k, take = kk, tt
        ranks = k[take].view(rows, self.s)
        logq = torch.log(self.expected(ranks, tries[:, None])).float()
        items = self.item_of_rank[ranks]
        self.queue = [(items[i], logq[i], tries[i]) for i in range(rows)]
        self.queue.reverse()

    def expected(self, ranks, tries):
        p = self.p[ranks]
        unique_first = tries == self.s
        return torch.where(unique_first, p * self.s, -torch.expm1(tries.double() * torch.log1p(-p)))

    def next(self):
        """(negative items (s,), their log expected counts (s,), tries (0-dim tensor))."""
        if not self.queue:
            self._fill()
        return self.queue.pop()

    def true_logq(self, labels, tries):
        return torch.log(self.expected(self.rank_of_item[labels], tries)).float()


def pass_batches(walks, lens, order, tables, batch, chunk_walks, max_batches):
    """Yields (inputs, labels) batches of one L_g pass: walks in `order`, pairs per chunk."""
    ctx_pos, centre_pos, inside = tables
    pend_in = pend_lab = None
    made = 0
    for c0 in range(0, order.numel(), chunk_walks):
        idx = order[c0:c0 + chunk_walks]
        ci, cl = pairs_of_chunk(walks[idx], lens[idx], ctx_pos, centre_pos, inside)
        if pend_in is not None:
            ci, cl = torch.cat([pend_in, ci]), torch.cat([pend_lab, cl])
        n = ci.numel()
        start = 0
        while n - start >= batch:
            yield ci[start:start + batch], cl[start:start + batch]
            made += 1
            if made >= max_batches:
                return
            start += batch
        pend_in, pend_lab = ci[start:], cl[start:]
    if pend_in is not None and pend_in.numel() > 0:
        yield pend_in, pend_lab


def nce_loss(E, theta, bias, inputs, labels, neg, neg_logq, true_logq):
    """TF nce_loss: sigmoid cross-entropy of the true pair and of each shared negative, logits
    v . theta + bias - log Q; negatives equal to a row's label are removed; mean over rows."""
    v = F.embedding(inputs, E)
    t = (v * F.embedding(labels, theta)).sum(1) + bias[labels] - true_logq
    sl = v @ F.embedding(neg, theta).t() + bias[neg][None, :] - neg_logq[None, :]
    keep = (labels[:, None] != neg[None, :]).to(sl.dtype)
    return (F.softplus(-t) + (F.softplus(sl) * keep).sum(1)).mean()


def evaluate(model, items, lens, targets, batch, max_samples):
    """P@20 and MRR@20 in percent over the first max_samples test samples (all if None)."""
    was_training = model.training
    model.eval()
    n = targets.numel() if max_samples is None else min(max_samples, targets.numel())
    dev = items.device
    ids = torch.arange(1, model.E.shape[0], device=dev)
    hits = torch.zeros((), dtype=torch.float64, device=dev)
    rr = torch.zeros((), dtype=torch.float64, device=dev)
    with torch.no_grad():
        for a in range(0, n, batch):
            b = min(n, a + batch)
            sc = model.scores(model(items[a:b], lens[a:b]))
            rank = ranks_from_scores(sc, targets[a:b], ids, torch.arange(b - a, device=dev))
            hit = rank <= TOP_K
            hits += hit.sum()
            rr += torch.where(hit, 1.0 / rank.double(), torch.zeros((), dtype=torch.float64, device=dev)).sum()
    model.train(was_training)
    return 100.0 * hits.item() / n, 100.0 * rr.item() / n, n


# ---------------------------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(prog=PROG, description="LGSR in plain PyTorch: times one epoch (see module doc).")
    ap.add_argument("--data", required=True, help="dataset folder with train.txt, test.txt, all_train_seq.txt")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lg-passes", type=int, default=2, help="L_g passes per epoch (g); 0 = LGSR-C, no global encoder")
    ap.add_argument("--max-lg-batches", type=int, default=None, help="stop each L_g pass after N batches (extrapolated)")
    ap.add_argument("--max-rec-steps", type=int, default=None, help="stop each L_rec pass after N steps (extrapolated)")
    ap.add_argument("--max-eval-samples", type=int, default=None, help="evaluate the first N test samples only")
    ap.add_argument("--warmup", type=int, default=3, help="batches left out of the per-batch rate (not of full-pass times)")
    ap.add_argument("--device", default="cuda", help="cuda (default), cuda:N or cpu")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tf32", action="store_true", help="allow TF32 matmuls (default: strict FP32)")
    ap.add_argument("--sigmoid", choices=("hard", "paper"), default="hard", help="h in the aggregation: hard sigmoid [code] or sigmoid [paper]")
    ap.add_argument("--lr-schedule", default="every:3", help="constant | reference | every:E (default every:3)")
    ap.add_argument("--eval-batch", type=int, default=1024)
    ap.add_argument("--pair-chunk-walks", type=int, default=4096, help="walks per pair-generation chunk")
    ap.add_argument("--out", default=None, help="write the JSON report here")
    a = ap.parse_args(argv)
    for name in ("epochs", "eval_batch", "pair_chunk_walks"):
        if getattr(a, name) < 1:
            raise UsageError("--%s must be >= 1" % name.replace("_", "-"))
    for name in ("max_lg_batches", "max_rec_steps", "max_eval_samples"):
        v = getattr(a, name)
        if v is not None and v < 1:
            raise UsageError("--%s must be >= 1" % name.replace("_", "-"))
    if a.lg_passes < 0 or a.warmup < 0:
        raise UsageError("--lg-passes and --warmup must be >= 0")
    a.lr_schedule = parse_schedule(a.lr_schedule)
    return a


def run(a):
    check_data_dir(a.data)
    import_torch()
    try:
        device = torch.device(a.device)
    except RuntimeError as e:
        raise UsageError("--device %s: %s" % (a.device, e))
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError("--device %s: CUDA is not available to this torch (%s)" % (a.device, torch.__version__))
        if device.index is not None:
            torch.cuda.set_device(device)
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
        torch.backends.cudnn.allow_tf32 = a.tf32
        dev_name = torch.cuda.get_device_name(device)
    elif device.type == "cpu":
        dev_name = "cpu (%d threads)" % torch.get_num_threads()
    else:
        raise UsageError("--device must be cuda, cuda:N or cpu, got " + a.device)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    gen = torch.Generator(device=device)
    gen.manual_seed(a.seed)
    clock = Clock(device)
    out = {"device": dev_name, "torch": torch.__version__, "dataset": os.path.basename(os.path.normpath(a.data)),
           "tf32": bool(a.tf32), "sigmoid": a.sigmoid, "lr_schedule": a.lr_schedule, "seed": a.seed,
           "lg_passes_per_epoch": a.lg_passes, "walks_on": "torch on the device (alias tables built in Python on the host)",
           "negatives_on": "torch on the device", "optimizer": "torch.optim.Adam (eps after bias correction)"}
    if device.type == "cuda":
        out["matmul_allow_tf32"] = bool(torch.backends.cuda.matmul.allow_tf32)

    # ---- data
    sync(device)
    t0 = time.perf_counter()
    ds = load_dataset(a.data)
    n_items = ds["n_items"]
    flat, lens = pad_last(ds["train_inputs"], MAX_LEN)
    tr_items = torch.tensor(flat, dtype=torch.long).view(-1, MAX_LEN).to(device)
    tr_lens = torch.tensor(lens, dtype=torch.long).to(device)
    tr_tgt = torch.tensor(ds["train_targets"], dtype=torch.long).to(device)
    flat, lens = pad_last(ds["test_inputs"], MAX_LEN)
    te_items = torch.tensor(flat, dtype=torch.long).view(-1, MAX_LEN).to(device)
    te_lens = torch.tensor(lens, dtype=torch.long).to(device)
    te_tgt = torch.tensor(ds["test_targets"], dtype=torch.long).to(device)
    del flat, lens
    sync(device)
    out["load_s"] = time.perf_counter() - t0
    n_train = tr_tgt.numel()
    out.update({"n_items": n_items, "n_train": n_train, "n_test": te_tgt.numel(), "n_sessions": len(ds["sessions"])})

    model = make_model_class()(n_items, sigmoid=a.sigmoid).to(device)
    rec_params = list(model.parameters())
    opt_rec = torch.optim.Adam(rec_params, lr=LR, betas=(0.9, 0.999), eps=ADAM_EPS)

    # ---- graph and walks
    walks = None
    if a.lg_passes > 0:
        sync(device)
        t0 = time.perf_counter()
        g = build_graph(ds["sessions"], n_items)
        t1 = time.perf_counter()
        prob, alias = build_alias(g["offsets"], g["weights"])
        t2 = time.perf_counter()
        c0 = clock.mark()
        walks, wlens = generate_walks(g, prob, alias, WALK_ROUNDS, WALK_LEN, device, gen)
        c1 = clock.mark()
        out["walk_gen_s"] = clock.seconds(c0, c1)
        out["graph_s"], out["alias_s"] = t1 - t0, t2 - t1
        out["walks_s"] = out["graph_s"] + out["alias_s"] + out["walk_gen_s"]
        out.update({"graph_nodes": len(g["nodes"]), "graph_edges": len(g["targets"]), "walks": walks.shape[0]})
        per_len = torch.tensor(pairs_per_length(WALK_LEN, WINDOW_BEFORE, WINDOW_AFTER), dtype=torch.long, device=device)
        pairs_total = int(per_len[wlens].sum().item())
        out["walk_nodes"] = int(wlens.sum().item())
        out["lg_pairs_per_pass"] = pairs_total
        lg_batches_full = (pairs_total + LG_BATCH - 1) // LG_BATCH
        out["lg_batches_per_pass"] = lg_batches_full
        tables = [torch.tensor(t, dtype=torch.long, device=device)
                  for t in skipgram_tables(WALK_LEN, WINDOW_BEFORE, WINDOW_AFTER)]
        tables[2] = tables[2].bool()
        sampler = NegativeSampler(g["by_degree"], n_items, NEGATIVES, device, gen)
        theta = nn.Parameter(torch.empty(n_items, DIM, device=device).uniform_(-1 / math.sqrt(DIM), 1 / math.sqrt(DIM)))
        bias = nn.Parameter(torch.zeros(n_items, device=device))
        opt_g = torch.optim.Adam([model.E, theta, bias], lr=LR, betas=(0.9, 0.999), eps=ADAM_EPS)
        del g, prob, alias
    else:
        out["walks_s"] = 0.0
    del ds

    rec_full = (n_train + BATCH - 1) // BATCH
    out["rec_steps_per_epoch"] = rec_full
    rec_steps_done = 0
    lg_converged = False
    prev_lg = None
    bounded = False
    epochs = []
    for ep in range(a.epochs):
        e = {"epoch": ep + 1}
        # ---- L_g passes
        lg_times, lg_losses = [], []
        for p in range(a.lg_passes):
            if lg_converged:
                break
            lr = lr_at(a.lr_schedule, rec_steps_done, n_train, BATCH)
            for grp in opt_g.param_groups:
                grp["lr"] = lr
            limit = a.max_lg_batches if a.max_lg_batches is not None else lg_batches_full
            c_start = clock.mark()
            c_warm = None
            order = torch.randperm(walks.shape[0], device=device, generator=gen)
            loss_sum = torch.zeros((), dtype=torch.float64, device=device)
            nb = 0
            for inp, lab in pass_batches(walks, wlens, order, tables, LG_BATCH, a.pair_chunk_walks, limit):
                neg, neg_logq, tries = sampler.next()
                true_logq = sampler.true_logq(lab, tries)
                opt_g.zero_grad(set_to_none=True)
                loss = nce_loss(model.E, theta, bias, inp, lab, neg, neg_logq, true_logq)
                loss.backward()
                opt_g.step()
                loss_sum += loss.detach()
                nb += 1
                if nb == a.warmup:
                    c_warm = clock.mark()
            c_end = clock.mark()
            total = clock.seconds(c_start, c_end)
            mean_loss = loss_sum.item() / max(nb, 1)
            info = {"batches": nb, "measured_s": total, "loss": mean_loss}
            if nb < lg_batches_full:
                bounded = True
                if c_warm is not None and nb > a.warmup:
                    per = clock.seconds(c_warm, c_end) / (nb - a.warmup)
                else:
                    per = total / max(nb, 1)
                info["batch_ms"] = per * 1000
                info["pass_s"] = per * lg_batches_full
                info["extrapolated"] = True
            else:
                info["batch_ms"] = total / max(nb, 1) * 1000
                info["pass_s"] = total
                info["extrapolated"] = False
            lg_times.append(info["pass_s"])
            lg_losses.append(info)
            if nb == lg_batches_full and prev_lg is not None and abs(mean_loss - prev_lg) <= LG_CONVERGED:
                lg_converged = True
            prev_lg = mean_loss
        e["lg"] = lg_losses
        e["lg_pass_s"] = sum(lg_times) / len(lg_times) if lg_times else 0.0

        # ---- L_rec pass
        limit = a.max_rec_steps if a.max_rec_steps is not None else rec_full
        perm = torch.randperm(n_train, device=device, generator=gen)
        c_start = clock.mark()
        c_warm = None
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        steps = 0
        for s0 in range(0, n_train, BATCH):
            if steps >= limit:
                break
            lr = lr_at(a.lr_schedule, rec_steps_done, n_train, BATCH)
            for grp in opt_rec.param_groups:
                grp["lr"] = lr
            idx = perm[s0:s0 + BATCH]
            opt_rec.zero_grad(set_to_none=True)
            sf = model(tr_items[idx], tr_lens[idx])
            ce = F.cross_entropy(model.scores(sf), tr_tgt[idx] - 1)
            l2 = sum(w.square().sum() for w in rec_params)
            loss = ce + 0.5 * L2 * l2
            loss.backward()
            opt_rec.step()
            loss_sum += loss.detach()
            steps += 1
            rec_steps_done += 1
            if steps == a.warmup:
                c_warm = clock.mark()
        c_end = clock.mark()
        total = clock.seconds(c_start, c_end)
        rec = {"steps": steps, "measured_s": total, "loss": loss_sum.item() / max(steps, 1)}
        if steps < rec_full:
            bounded = True
            if c_warm is not None and steps > a.warmup:
                per = clock.seconds(c_warm, c_end) / (steps - a.warmup)
            else:
                per = total / max(steps, 1)
            rec.update({"step_ms": per * 1000, "epoch_s": per * rec_full, "extrapolated": True})
        else:
            rec.update({"step_ms": total / steps * 1000, "epoch_s": total, "extrapolated": False})
        e["rec"] = rec
        e["rec_epoch_s"] = rec["epoch_s"]

        # ---- evaluation
        c0 = clock.mark()
        p20, mrr20, n_eval = evaluate(model, te_items, te_lens, te_tgt, a.eval_batch, a.max_eval_samples)
        c1 = clock.mark()
        e["eval_s"] = clock.seconds(c0, c1)
        e["eval_samples"] = n_eval
        if n_eval < te_tgt.numel():
            bounded = True
        e["p20"], e["mrr20"] = p20, mrr20
        e["epoch_s"] = a.lg_passes * e["lg_pass_s"] + e["rec_epoch_s"] + e["eval_s"]
        epochs.append(e)
        print("%s: epoch %d: L_g pass %.3f s (x%d)  L_rec %.3f s  eval %.3f s  epoch %.3f s  P@20 %.2f  MRR@20 %.2f%s"
              % (PROG, ep + 1, e["lg_pass_s"], len(lg_times), e["rec_epoch_s"], e["eval_s"], e["epoch_s"], p20, mrr20,
                 "  (bounded: extrapolated)" if bounded else ""), flush=True)

    first = epochs[0]
    out.update({"rec_epoch_s": first["rec_epoch_s"], "lg_pass_s": first["lg_pass_s"], "eval_s": first["eval_s"],
                "epoch_s": first["epoch_s"], "steps": first["rec"]["steps"], "rec_step_ms": first["rec"]["step_ms"],
                "lg_batch_ms": first["lg"][0]["batch_ms"] if first["lg"] else None,
                "p20": epochs[-1]["p20"], "mrr20": epochs[-1]["mrr20"], "bounded": bounded,
                "epochs": a.epochs, "per_epoch": epochs, "warmup_batches": a.warmup})
    return out


def main(argv=None):
    try:
        a = parse_args(sys.argv[1:] if argv is None else argv)
        out = run(a)
    except UsageError as e:
        print("%s: error: %s" % (PROG, e), file=sys.stderr)
        return 2
    text = json.dumps(out, indent=2)
    print("%s: %s on %s (torch %s, tf32 %s): load %.2f s, walks %.2f s, L_g pass %.3f s, L_rec epoch %.3f s, "
          "eval %.3f s, epoch %.3f s (= %d x L_g + L_rec + eval)%s"
          % (PROG, out["dataset"], out["device"], out["torch"], out["tf32"], out["load_s"], out["walks_s"],
             out["lg_pass_s"], out["rec_epoch_s"], out["eval_s"], out["epoch_s"], out["lg_passes_per_epoch"],
             ", bounded: per-batch times extrapolated to full passes" if out["bounded"] else ""))
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
