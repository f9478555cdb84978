"""The reference for our sgemm: torch.matmul 4096^3 float32, in FP32 and in TF32, timed with
CUDA events (median of 20 after 3 warm-ups, random inputs). Usage: python3 torch_matmul.py OUT.json"""
import json
import sys

import torch

n, warmup, reps = 4096, 3, 20
a = torch.randn(n, n, device="cuda", dtype=torch.float32)
b = torch.randn(n, n, device="cuda", dtype=torch.float32)
out = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0)}
for name, tf32 in (("fp32", False), ("tf32", True)):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    for _ in range(warmup):
        torch.matmul(a, b)
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        torch.matmul(a, b)
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e))
    ms = sorted(times)[reps // 2]
    out["matmul_4096_" + name] = {"median_ms": ms, "TFLOP_per_s": 2 * n**3 / (ms * 1e9)}
text = json.dumps(out, indent=2)
print(text)
if len(sys.argv) > 1:
    with open(sys.argv[1], "w") as f:
        f.write(text)
