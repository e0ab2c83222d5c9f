"""The notebook's models in PyTorch, for the peer scripts beside this file (torch_steps.py,
torch_training.py): SimpleNet (784-512-256-128-10), the teacher CNN (conv 1->32 k5,
max-pool 5, 512->128->10) and the student MLP (784-128-10), as the notebook defines them,
and `load_mnist`, which reads the images the TypeScript half wrote to a folder."""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_mnist(folder, names):
    """The tensors named in `names` (of train-x, train-y, test-x, test-y) from `folder`: images
    as float32 [N, 1, 28, 28], labels as int64."""
    def load(name, dtype):
        return torch.from_numpy(np.fromfile(os.path.join(folder, name), dtype=dtype).copy())
    files = {'train-x': ('train-x.f32', np.float32), 'train-y': ('train-y.i32', np.int32),
             'test-x': ('test-x.f32', np.float32), 'test-y': ('test-y.i32', np.int32)}
    out = []
    for name in names:
        t = load(*files[name])
        out.append(t.reshape(-1, 1, 28, 28) if name.endswith('-x') else t.long())
    return out


class SimpleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3, self.fc4 = nn.Linear(784, 512), nn.Linear(512, 256), nn.Linear(256, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = x.view(x.shape[0], -1)
        return self.fc4(F.relu(self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))))


class TeacherNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.pool = nn.Conv2d(1, 32, 5), nn.MaxPool2d(5, 5)
        self.fc1, self.fc2 = nn.Linear(512, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        return self.fc2(F.relu(self.fc1(x.view(x.shape[0], -1))))


class Student(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(784, 128), nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x.view(x.shape[0], -1))))
