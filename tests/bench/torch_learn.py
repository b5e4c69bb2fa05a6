"""PyTorch baseline for `npm run bench:learn`'s training rows: the learned denoiser's MLP
(src/maths/learn/network.ts) and its training step (src/sim/learn/trainer.ts) on the same GPU.

Network: sin/cos embeddings of x c_in, y c_in (scale 25) and tau (scale 1000), K frequencies each,
geometric from scale / (2 pi 10^4) to scale / (2 pi) turns; Linear(6K, width) -> GELU(tanh) ->
depth x [h + GELU(Linear(width, width) h)] -> Linear(width, 2). Step: a batch drawn on the GPU
(x0 from 2048 gaussians8 points, a level uniform over 1000 cosine levels, eps normal), MSE on eps
summed over x, y, AdamW (lr 1e-3, wd 0.01), clip at norm 1, EMA 0.995. No sync inside a timed block.
Run on a CUDA machine: python3 tests/bench/torch_learn.py [--compile] [--width 128 --depth 3 -k 64]
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def turns(k, scale):
    # Highest first, as tiny-diffusion (and src/maths/learn/embedding.ts transformerTurns).
    return torch.exp(torch.linspace(math.log(scale / (2 * math.pi)), math.log(scale / (2 * math.pi * 1e4)), k))


class Net(nn.Module):
    def __init__(self, width, depth, k):
        super().__init__()
        self.register_buffer("fxy", 2 * math.pi * turns(k, 25.0))
        self.register_buffer("ft", 2 * math.pi * turns(k, 1000.0))
        self.inp = nn.Linear(6 * k, width)
        self.blocks = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        self.out = nn.Linear(width, 2)

    def forward(self, rows):
        e = []
        for c, f in ((0, self.fxy), (1, self.fxy), (2, self.ft)):
            a = rows[:, c : c + 1] * f
            e += [a.sin(), a.cos()]
        h = F.gelu(self.inp(torch.cat(e, 1)), approximate="tanh")
        for b in self.blocks:
            h = h + F.gelu(b(h), approximate="tanh")
        return self.out(h)


def problem(dev, m=2048, levels=1000, s=0.008):
    angle = torch.randint(8, (m,), device=dev) * (2 * math.pi / 8)
    data = 1.2 * torch.stack([angle.cos(), angle.sin()], 1) + 0.08 * torch.randn(m, 2, device=dev)
    t = torch.arange(1, levels + 1, device=dev) / levels
    f = lambda t: torch.cos((t + s) / (1 + s) * math.pi / 2)
    alpha = (f(t) / f(torch.zeros(1, device=dev))).clamp(0, 1)
    return data, alpha, (1 - alpha * alpha).clamp(min=0).sqrt()


def trainer(net, ema, data, alpha, sigma, batch):
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01,
                            fused=data.is_cuda)
    params, averages = list(net.parameters()), list(ema.parameters())

    def step():
        x0 = data[torch.randint(data.shape[0], (batch,), device=data.device)]
        k = torch.randint(alpha.shape[0], (batch,), device=data.device)
        a, s = alpha[k, None], sigma[k, None]
        eps = torch.randn_like(x0)
        x = (a * x0 + s * eps) / (a * a + s * s).sqrt()
        tau = (2 / math.pi) * torch.atan2(s, a)
        loss = (net(torch.cat([x, tau], 1)) - eps).square().sum(1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            torch._foreach_lerp_(averages, params, 1 - 0.995)
        return loss

    return step


def sync(dev):
    if dev == "cuda":
        torch.cuda.synchronize()


def steps_per_second(step, dev, seconds=2.0):
    for _ in range(10):
        step()
    sync(dev)
    k = 1
    while True:
        start = time.perf_counter()
        for _ in range(k):
            step()
        sync(dev)
        t = time.perf_counter() - start
        if t >= seconds or k >= 1 << 16:
            return k / t
        k = max(2 * k, math.ceil(1.2 * k * seconds / t))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--depth", type=int, default=3)
    p.add_argument("-k", "--frequencies", type=int, default=64)
    p.add_argument("--batch", type=int, nargs="+", default=[256, 4096])
    p.add_argument("--compile", action="store_true", help="also time the torch.compile'd step")
    p.add_argument("--graphs", action="store_true",
                   help="also time torch.compile(mode='reduce-overhead'): the step replayed as a CUDA graph")
    args = p.parse_args()
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)
    name = torch.cuda.get_device_name() if dev == "cuda" else "CPU"
    print(f"# PyTorch {torch.__version__} on {name}: MLP {args.width}x{args.depth}, K {args.frequencies}\n")
    print("| batch | mode | steps/s |\n| ----: | ---- | ------: |")
    data, alpha, sigma = problem(dev)
    for batch in args.batch:
        modes = ["eager"] + (["compile"] if args.compile else []) + (["graphs"] if args.graphs else [])
        for mode in modes:
            net = Net(args.width, args.depth, args.frequencies).to(dev)
            ema = Net(args.width, args.depth, args.frequencies).to(dev)
            ema.load_state_dict(net.state_dict())
            step = trainer(net, ema, data, alpha, sigma, batch)
            if mode == "compile":
                step = torch.compile(step)
            elif mode == "graphs":
                step = torch.compile(step, mode="reduce-overhead")
            print(f"| {batch} | {mode} | {steps_per_second(step, dev):.4g} |", flush=True)


if __name__ == "__main__":
    main()
