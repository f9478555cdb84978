#!/usr/bin/env python3
"""The neural models of `lgsr train --variant gru4rec|gru4rec-code|narm|stamp|srgnn` against PyTorch.

For each model: trains a few steps with the Java engine on the synthetic default data (so that
the weights are no longer their initialisation), reads the saved checkpoint (docs/
checkpoint-format.md, version 2), rebuilds the model in plain PyTorch from the weights, scores
sessions with it, and compares the scores with `lgsr recommend` on the same checkpoint.

The PyTorch models are written here from the models' papers, in the ordinary PyTorch way
(tensors, torch.nn.functional), not from our Java code; for SR-GNN the session graph is built
by the conventions of the authors' public PyTorch code: its nodes are the session's distinct
items in sorted order (numpy's unique), the padding item included when the session is shorter
than the batch's longest, an edge once however often it is clicked, the in-adjacency divided by
in-degrees and the out-adjacency by out-degrees (a zero degree counted as one). So a match
checks both the arithmetic and those conventions (node order, padding node, normalisation).
GRU4Rec's code form (gru4rec-code) is rebuilt from its authors' code's equations: the one-hot input
(a row of its (n, 3h) input table is the gates' input), the output bias; `lgsr recommend` prints
its scores before the code's final tanh (monotonic), and so does the rebuilt model.

Usage: python3 scripts/torch_neural_check.py [--jar target/lgsr.jar] [--models srgnn,narm]
Prints one line per model (largest score difference, top-20 agreement) and 'OK' or 'FAILED';
exit 0 when every model matches, 1 when one does not, 2 when PyTorch or the jar is missing.
"""
import argparse
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = ["gru4rec", "gru4rec-code", "narm", "stamp", "srgnn"]


def read_checkpoint(path):
    """The sections of a checkpoint: {name: bytes}, checked (magic, version 2, CRC-32 of each section)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"LGSRCKPT":
        raise ValueError(f"{path}: not a checkpoint")
    version, count = struct.unpack(">ii", data[8:16])
    if version != 2:
        raise ValueError(f"{path}: format version {version}, expected 2 (a neural model)")
    pos, out = 16, {}
    for _ in range(count):
        (nlen,) = struct.unpack(">H", data[pos:pos + 2])
        pos += 2
        name = data[pos:pos + nlen].decode("utf-8")
        pos += nlen
        dlen, crc = struct.unpack(">qI", data[pos:pos + 12])
        pos += 12
        body = data[pos:pos + dlen]
        pos += dlen
        if zlib.crc32(body) & 0xFFFFFFFF != crc:
            raise ValueError(f"{path}: section {name}: CRC-32 mismatch")
        out[name] = body
    return out


def unpack_params(torch, cfg, raw):
    """The flat float32 buffer cut into named tensors, in the order docs/checkpoint-format.md gives."""
    kind, n, d, h = cfg["kind"], cfg["numItems"], cfg["dim"], cfg["hidden"]
    if kind == "gru4rec" and cfg.get("code"):
        kind = "gru4rec-code"
    shapes = {
        "gru4rec-code": [("O", n, d), ("E", n, 3 * d), ("bO", n, 1), ("bx", 1, 3 * d), ("U", d, 2 * d), ("Uh", d, d)],
        "stamp": [("E", n, d), ("W1", d, d), ("W2", d, d), ("W3", d, d), ("ba", 1, d), ("w0", 1, d), ("Ws", d, d),
                  ("bs", 1, d), ("Wt", d, d), ("bt", 1, d)],
        "gru4rec": [("O", n, d), ("E", n, d), ("Wx", d, 3 * d), ("bx", 1, 3 * d), ("U", d, 2 * d), ("Uh", d, d)],
        "narm": [("E", n, d), ("Wx", d, 3 * h), ("bx", 1, 3 * h), ("U", h, 2 * h), ("Uh", h, h), ("A1", h, h),
                 ("A2", h, h), ("va", 1, h), ("WB", 2 * h, d)],
        "srgnn": [("E", n, d), ("Win", d, d), ("bin", 1, d), ("Wout", d, d), ("bout", 1, d), ("biah", 1, d),
                  ("boah", 1, d), ("Wih", 2 * d, 3 * d), ("bih", 1, 3 * d), ("Whh", d, 3 * d), ("bhh", 1, 3 * d),
                  ("Q1", d, d), ("bq1", 1, d), ("Q2", d, d), ("bq2", 1, d), ("q3", 1, d), ("W3", 2 * d, d),
                  ("b3", 1, d)],
    }[kind]
    flat = torch.tensor(struct.unpack("<%df" % (len(raw) // 4), raw), dtype=torch.float64)
    out, pos = {}, 0
    for name, r, c in shapes:
        out[name] = flat[pos:pos + r * c].reshape(r, c)
        pos += r * c
    if pos != flat.numel():
        raise ValueError(f"parameter count {flat.numel()} != {pos} for {kind}")
    return out


def gru_states(torch, P, items, E):
    """Hidasi et al.'s GRU (Cho's form: the reset gate on h before its product with Uh) from h_0 = 0: every state."""
    h = torch.zeros(P["U"].shape[0], dtype=torch.float64)
    hid = h.numel()
    states = []
    for v in items:
        # the one-hot input of GRU4Rec's code form: its input table's row is the gates' input
        gx = (E[v] if "Wx" not in P else E[v] @ P["Wx"]) + P["bx"][0]
        gh = h @ P["U"]
        z = torch.sigmoid(gx[:hid] + gh[:hid])
        r = torch.sigmoid(gx[hid:2 * hid] + gh[hid:])
        c = torch.tanh(gx[2 * hid:] + (r * h) @ P["Uh"])
        h = (1 - z) * h + z * c
        states.append(h)
    return torch.stack(states)


def session_vector(torch, kind, P, items, pad_to):
    """The vector that scores the items by a dot product with the scoring table."""
    if kind == "stamp":  # Liu et al. 2018, eqs. for STAMP: attention net, two MLP cells, trilinear score
        x = P["E"][items]
        ms, xt = x.mean(0), x[-1]
        a = torch.sigmoid(x @ P["W1"] + xt @ P["W2"] + ms @ P["W3"] + P["ba"][0]) @ P["w0"][0]
        ma = (a[:, None] * x).sum(0)
        return torch.tanh(ma @ P["Ws"] + P["bs"][0]) * torch.tanh(xt @ P["Wt"] + P["bt"][0])
    if kind in ("gru4rec", "gru4rec-code"):
        return gru_states(torch, P, items, P["E"])[-1]
    if kind == "narm":  # Li et al. 2017: global encoder h_t, local encoder sum_j a_j h_j, bilinear decoder
        hs = gru_states(torch, P, items, P["E"])
        ht = hs[-1]
        a = torch.sigmoid(ht @ P["A1"] + hs @ P["A2"]) @ P["va"][0]
        cl = (a[:, None] * hs).sum(0)
        return torch.cat([ht, cl]) @ P["WB"]
    # SR-GNN (Wu et al. 2019), the session graph as the public code builds it for a padded batch row
    import numpy as np
    row = list(items) + [0] * (pad_to - len(items))
    node = np.unique(row)
    m = len(node)
    A = np.zeros((m, m))
    for i in range(len(row) - 1):
        if row[i + 1] == 0:
            break
        u = int(np.where(node == row[i])[0][0])
        v = int(np.where(node == row[i + 1])[0][0])
        A[u][v] = 1
    indeg = A.sum(0)
    indeg[indeg == 0] = 1
    outdeg = A.sum(1)
    outdeg[outdeg == 0] = 1
    a_in = torch.tensor(A / indeg).T          # row l: the mean over l's predecessors
    a_out = torch.tensor(A.T / outdeg).T      # row k: the mean over k's successors
    alias = [int(np.where(node == v)[0][0]) for v in items]
    x = P["E"][torch.tensor(node, dtype=torch.long)]
    d = x.shape[1]
    inp = torch.cat([a_in @ (x @ P["Win"] + P["bin"][0]) + P["biah"][0],
                     a_out @ (x @ P["Wout"] + P["bout"][0]) + P["boah"][0]], 1)
    gi = inp @ P["Wih"] + P["bih"][0]
    gh = x @ P["Whh"] + P["bhh"][0]
    r = torch.sigmoid(gi[:, :d] + gh[:, :d])
    u = torch.sigmoid(gi[:, d:2 * d] + gh[:, d:2 * d])
    c = torch.tanh(gi[:, 2 * d:] + r * gh[:, 2 * d:])
    g = c + u * (x - c)
    seq = g[torch.tensor(alias)]
    sl = seq[-1]
    alpha = torch.sigmoid(sl @ P["Q1"] + P["bq1"][0] + seq @ P["Q2"] + P["bq2"][0]) @ P["q3"][0]
    sg = (alpha[:, None] * seq).sum(0)
    return torch.cat([sg, sl]) @ P["W3"] + P["b3"][0]


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(" ".join(cmd) + ": exit " + str(p.returncode) + "\n" + p.stderr[-2000:])
    return p.stdout


def check(torch, jar, kind, tmp, sessions):
    ck = os.path.join(tmp, kind)
    java = ["java", "--add-modules", "jdk.incubator.vector", "-jar", jar]
    run(java + ["train", "--variant", kind, "--epochs", "1", "--max-steps", "6", "--dim", "24", "--batch", "64",
                "--lr", "0.01", "--device", "cpu", "--threads", "1", "--no-compare", "--max-len", "19",
                "--report", os.path.join(tmp, kind + ".json"), "--checkpoint-dir", ck]
        + (["--hidden", "16"] if kind == "narm" else []))
    path = os.path.join(ck, "epoch-1.lgsr")
    sec = read_checkpoint(path)
    cfg = json.loads(sec["config"].decode("utf-8"))["model"]
    P = unpack_params(torch, cfg, sec["params"])
    table = P["O"] if kind.startswith("gru4rec") else P["E"]
    bias = P["bO"][1:, 0] if "bO" in P else 0.0  # GRU4Rec's code form: the output bias
    inp = os.path.join(tmp, kind + "-sessions.txt")
    with open(inp, "w") as f:
        for s in sessions:
            f.write(" ".join(map(str, s)) + "\n")
    out = run(java + ["recommend", "--model", path, "--input", inp, "--k", "20", "--threads", "1"])
    lines = [json.loads(l) for l in out.splitlines() if l.strip()]
    worst, agree, total = 0.0, 0, 0
    pad_to = max(len(s) for s in sessions)
    for s, rec in zip(sessions, lines):
        z = table[1:] @ session_vector(torch, kind, P, s[-cfg["maxLen"]:], min(pad_to, cfg["maxLen"])) + bias
        ours = torch.tensor(rec["scores"], dtype=torch.float64)
        theirs = z[torch.tensor(rec["items"]) - 1]  # the torch scores of the items we ranked first
        scale = max(1.0, float(z.abs().max()))
        worst = max(worst, float((ours - theirs).abs().max()) / scale)
        top = torch.topk(z, 20).indices + 1
        agree += len(set(top.tolist()) & set(rec["items"]))
        total += 20
    ok = worst < 1e-4 and agree >= total - 2 * len(sessions)  # near-ties may swap the 20th and 21st
    print(f"{kind:12s} max |score difference| / max |score| {worst:.2e}; top-20 items shared {agree}/{total}: "
          + ("OK" if ok else "FAILED"))
    return ok


def main(argv):
    ap = argparse.ArgumentParser(prog="torch_neural_check.py", description=__doc__.splitlines()[0])
    ap.add_argument("--jar", default=os.path.join(ROOT, "target", "lgsr.jar"))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--sessions", type=int, default=40)
    a = ap.parse_args(argv)
    try:
        import torch
        import numpy  # noqa: F401
    except ImportError:
        print("torch_neural_check.py: PyTorch and NumPy are needed (Debian: apt install python3-torch)", file=sys.stderr)
        return 2
    if not os.path.isfile(a.jar):
        print(f"torch_neural_check.py: {a.jar}: no such jar (mvn package first)", file=sys.stderr)
        return 2
    kinds = a.models.split(",")
    for k in kinds:
        if k not in MODELS:
            print(f"torch_neural_check.py: --models: unknown model '{k}'; known: {', '.join(MODELS)}", file=sys.stderr)
            return 2
    torch.set_num_threads(1)
    rnd = random.Random(7)
    # sessions over the synthetic data's ids (2000 items), with repeats so that SR-GNN's graphs have repeated
    # nodes, self loops and repeated edges; lengths 1..25 (beyond max-len 19: the model reads the last 19)
    sessions = []
    for i in range(a.sessions):
        length = 1 + rnd.randrange(25) if i % 4 else 1 + rnd.randrange(4)
        pool = [1 + rnd.randrange(1999) for _ in range(max(1, length // 2))]
        sessions.append([rnd.choice(pool) for _ in range(length)])
    with tempfile.TemporaryDirectory() as tmp:
        ok = all([check(torch, a.jar, k, tmp, sessions) for k in kinds])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
