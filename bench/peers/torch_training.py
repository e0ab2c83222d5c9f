"""The notebook's training work in PyTorch, the peer half of `npm run bench -- notebook-training`
(bench/peers/training.ts writes MNIST to a folder as raw float32 and int32 files and reads
this script's JSON from stdout).

As the notebook trains them, and as slimtensor's `npm start` does: Adam (lr 1e-3), batch 64,
the training set reshuffled every epoch, the test accuracy after every epoch:
- the teacher CNN, then its logits over the training set;
- the student MLP on the teacher's soft targets (KL divergence, T = 1, the notebook's loss);
- SimpleNet three times (the notebook trains it in sections 2, 3 and 4).
PyTorch runs at its best: with subnormals flushed to zero (`torch.set_flush_denormal`).
Left on (its default), Adam's first moments of dead units sink into subnormals and stay,
and SimpleNet's epochs here took 7.7, 9.4, 8.6 s against 6.2, 6.1, 6.5 s flushed;
slimtensor's Adam flushes them too. Prints the seconds of each part. Arguments: folder,
threads, epochs.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

from torch_models import load_mnist, SimpleNet, Student, TeacherNet

folder, threads, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.set_flush_denormal(True)
torch.manual_seed(0)


# Inference (the test accuracy, the teacher's logits) runs in batches of 256, PyTorch's best
# here: on this AMD EPYC VM its teacher CNN took 8.0 s for the 10k test set in batches of
# 1000 against 0.35 s in batches of 256 (SimpleNet: 0.115 s either way), with or without
# oneDNN. slimtensor evaluates in batches of 1000, its own best.
INFER_BATCH = 256

train_x, train_y, test_x, test_y = load_mnist(folder, ['train-x', 'train-y', 'test-x', 'test-y'])


def accuracy(model):
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in zip(torch.split(test_x, INFER_BATCH), torch.split(test_y, INFER_BATCH)))
    model.train()
    return correct / test_x.shape[0]


def train(model, loss_fn, seed):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    shuffle = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(train_x.shape[0], generator=shuffle)
        for start in range(0, train_x.shape[0], 64):
            idx = order[start:start + 64]
            opt.zero_grad()
            loss_fn(model(train_x[idx]), idx).backward()
            opt.step()
        last = accuracy(model)
    return last


seconds, accuracies = {}, {}
t0 = time.perf_counter()
teacher = TeacherNet()
accuracies['teacher'] = train(teacher, lambda out, idx: F.cross_entropy(out, train_y[idx]), 1)
seconds['teacher'] = time.perf_counter() - t0

t0 = time.perf_counter()
teacher.eval()
with torch.no_grad():
    logits = torch.cat([teacher(x) for x in torch.split(train_x, INFER_BATCH)])
seconds['teacherLogits'] = time.perf_counter() - t0

t0 = time.perf_counter()
kd = lambda out, idx: F.kl_div(F.log_softmax(out, 1), F.softmax(logits[idx], 1), reduction='batchmean')
accuracies['student'] = train(Student(), kd, 2)
seconds['student'] = time.perf_counter() - t0

for run in range(3):
    t0 = time.perf_counter()
    accuracies[f'simpleNet{run + 1}'] = train(SimpleNet(), lambda out, idx: F.cross_entropy(out, train_y[idx]), 3)
    seconds[f'simpleNet{run + 1}'] = time.perf_counter() - t0

print(json.dumps({'torch': torch.__version__, 'threads': threads, 'epochs': epochs, 'seconds': seconds, 'accuracies': accuracies}))
