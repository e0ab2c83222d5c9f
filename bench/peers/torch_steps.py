"""The peer half of `npm run bench -- peers`: the notebook's models in PyTorch, timed on the
same images slimtensor uses (bench/peers/pytorch.ts writes them to a folder as raw float32
and int32 files and reads this script's JSON from stdout).

Times, each the median of several runs after a warm-up:
- one Adam training step (lr 1e-3) at batch 64 of SimpleNet (784-512-256-128-10) and of
  the teacher CNN (conv 1->32 k5, max-pool 5, 512->128->10), as the notebook trains them;
- SimpleNet over the 10k test set without gradients, as one batch of 10,000 and in
  batches of 64.
It also reports the GFLOP/s of a 512³ product, so a caller can tell which BLAS answered.
The thread count comes from the command line (torch.set_num_threads); the caller also
sets OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, OMP_WAIT_POLICY=PASSIVE (idle OpenMP threads
must not spin) and OPENBLAS_CORETYPE.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from torch_models import load_mnist, SimpleNet, TeacherNet

folder, threads = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(0)


train_x, train_y, test_x = load_mnist(folder, ['train-x', 'train-y', 'test-x'])


def median_ms(fn, calls, warmup=10):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def step_ms(model):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = [(train_x[i:i + 64], train_y[i:i + 64]) for i in range(0, train_x.shape[0] - 63, 64)]
    state = {'i': 0}

    def step():
        x, y = batches[state['i'] % len(batches)]
        state['i'] += 1
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return median_ms(step, 200, warmup=20)


a, b = torch.randn(512, 512), torch.randn(512, 512)
gemm_ms = median_ms(lambda: a @ b, 20, warmup=5)
simple = SimpleNet()
result = {'torch': torch.__version__, 'threads': threads, 'gemmGflops': 2 * 512 ** 3 / gemm_ms / 1e6,
          'simpleNetStepMs': step_ms(simple), 'teacherStepMs': step_ms(TeacherNet())}
simple.eval()
with torch.no_grad():
    result['simpleNet10kBatch10000Ms'] = median_ms(lambda: simple(test_x), 9, warmup=2)
    chunks = list(torch.split(test_x, 64))
    result['simpleNet10kBatch64Ms'] = median_ms(lambda: [simple(c) for c in chunks], 9, warmup=2)
print(json.dumps(result))
