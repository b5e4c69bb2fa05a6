"""PyTorch baseline for the empirical (ideal) denoiser on the same GPU, for `npm run bench`'s
denoise_empirical rows: x0_hat = softmax_j(-|x - alpha y_j|^2 / (2 sigma^2)) y, float32.

Two ways: a plain chunked version (distances, softmax, matmul; chunks of particles keep the
N x M logits within memory), and scaled_dot_product_attention with the distance written as a
dot product (q = [x / s2, 1], k = [alpha y, -alpha^2 |y|^2 / (2 s2)]: the |x|^2 term is the same
for every key and cancels in the softmax). Prints pair evaluations per second.
Run on a CUDA machine: python3 tests/bench/torch_baseline.py
"""
import time

import torch
import torch.nn.functional as F


def plain(x, y, alpha, sigma, chunk=8192):
    out = torch.empty_like(x)
    for i in range(0, x.shape[0], chunk):
        xi = x[i : i + chunk]
        d2 = torch.cdist(xi, alpha * y).square()
        w = torch.softmax(-d2 / (2 * sigma * sigma), dim=1)
        out[i : i + chunk] = w @ y
    return out


def attention(x, y, alpha, sigma):
    s2 = sigma * sigma
    q = torch.cat([x / s2, torch.ones_like(x[:, :1])], dim=1)
    k = torch.cat([alpha * y, -(alpha * alpha) * y.square().sum(1, keepdim=True) / (2 * s2)], dim=1)
    pad = lambda t: F.pad(t, (0, 8 - t.shape[1]))[None, None]
    o = F.scaled_dot_product_attention(pad(q), pad(k), pad(y), scale=1.0)
    return o[0, 0, :, :2]


def bench(fn, *args, reps=5):
    fn(*args)
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn(*args)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    torch.manual_seed(0)
    dev = "cuda"
    print(f"# PyTorch {torch.__version__} on {torch.cuda.get_device_name()}\n")
    print("| M | N | plain time/step | plain pairs/s | sdpa time/step | sdpa pairs/s | max diff |")
    print("| --: | --: | --: | --: | --: | --: | --: |")
    for m in (1_000, 10_000, 100_000):
        for n in (10_000, 100_000, 1_000_000):
            x = torch.randn(n, 2, device=dev)
            y = torch.randn(m, 2, device=dev)
            alpha, sigma = 0.7, 0.7
            tp = bench(plain, x, y, alpha, sigma)
            ta = bench(attention, x, y, alpha, sigma)
            diff = (plain(x, y, alpha, sigma) - attention(x, y, alpha, sigma)).abs().max().item()
            print(
                f"| {m:.0e} | {n:.0e} | {tp * 1e3:.2f} ms | {n * m / tp:.3g} | "
                f"{ta * 1e3:.2f} ms | {n * m / ta:.3g} | {diff:.1e} |"
            )


if __name__ == "__main__":
    main()
