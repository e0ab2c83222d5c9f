"""The notebook's models in PyTorch, for the peer scripts beside this file (torch_steps.py,
torch_training.py): SimpleNet (784-512-256-128-10), the teacher CNN (conv 1->32 k5,
max-pool 5, 512->128->10) and the student MLP (784-128-10), as the notebook defines them."""
import torch.nn as nn
import torch.nn.functional as F


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
