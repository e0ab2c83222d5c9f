/**
 * Section 1 of the notebook, knowledge distillation, cell by cell: a CNN teacher, then an
 * MLP student trained on the teacher's soft targets.
 *
 *   npx tsx examples/01-distillation.ts            # full MNIST, 5 epochs (about a minute)
 *   npx tsx examples/01-distillation.ts --quick    # 3,000 training and 1,000 test images, 1 epoch
 *
 * Each notebook cell is quoted (its PyTorch line) above slimtensor's. With the same seed the
 * accuracies equal `slimtensor distill`'s rows for the teacher, student-kd-notebook and
 * student-labels (`npm start` prints them too): the same code path, not a copy of it.
 */
import {
  compareLatency,
  crossEntropy,
  distillationLoss,
  evaluate,
  type FitEpoch,
  fit,
  modelBytes,
  precomputeLogits,
  Rng,
  StudentNet,
  TeacherNet,
  teacherRows,
} from 'slimtensor';
import { loadMnist } from 'slimtensor/node';

const quick = process.argv.includes('--quick');
const SEED = 0;
const EPOCHS = quick ? 1 : 5;
const limit = (n: number): number | undefined => (quick ? n : undefined);
const pct = (fraction: number): string => `${(fraction * 100).toFixed(2)}%`;
const printEpoch = (e: FitEpoch): void => console.log(`Epoch ${e.epoch}, Loss: ${e.loss}, Accuracy: ${pct(e.accuracy!)}`);

// In [2]: trainset = torchvision.datasets.MNIST(root='./data', train=True, transform=transform)
//         trainloader = DataLoader(trainset, batch_size=64, shuffle=True)
// The images come normalized to [-1, 1] (ToTensor + Normalize((0.5,), (0.5,))); `fit` makes
// the shuffled batches of 64 itself, from a seed.
const trainset = await loadMnist('train', { limit: limit(3000) });
const testset = await loadMnist('test', { limit: limit(1000) });

// In [3]: class TeacherNet(nn.Module): conv1 = Conv2d(1, 32, 5), pool = MaxPool2d(5, 5), fc1, fc2
// In [5]: teacher_model = TeacherNet()
//         teacher_optimizer = optim.Adam(teacher_model.parameters(), lr=0.001)
const teacher = new TeacherNet(new Rng(SEED));

// In [6]: for epoch in range(5): ... loss = teacher_criterion(outputs, labels) ...
//         print(f"Epoch {epoch + 1}, Loss: ..., Accuracy: {teacher_accuracy * 100:.2f}%")
// In [4]: evaluate(model) is `evaluate(model, testset)`: the fraction of test images right.
console.log('Teacher');
fit(teacher, trainset, { epochs: EPOCHS, batchSize: 64, lr: 0.001, seed: SEED, evalSet: testset, name: 'teacher', onEpoch: printEpoch });

// In [7]: class StudentNet(nn.Module): fc1 = Linear(784, 128), fc2 = Linear(128, 10)
// In [8]: student_model = StudentNet(); student_optimizer = optim.Adam(..., lr=0.001)
// slimtensor seeds the student apart from the teacher (seed + 100), as `slimtensor distill` does.
const student = new StudentNet(new Rng(SEED + 100));

// In [9]: def knowledge_distillation_loss(student_logits, teacher_logits):
//             kl_div(log_softmax(student_logits), softmax(teacher_logits), reduction='batchmean')
// That is distillationLoss at T = 1, α = 0 (its defaults).
// In [10]: teacher_logits = teacher_model(inputs).detach()
// The teacher is fixed while the student learns, so its logits for every training image are
// computed once (`precomputeLogits`) and each batch picks its rows: the same numbers as
// calling the teacher on every batch, at a fraction of the cost.
const teacherLogits = precomputeLogits(teacher, trainset);
console.log("\nStudent, trained on the teacher's soft targets");
// The notebook prints running_loss / len(testloader) here, a slip (the loader it averages
// over is the training one); slimtensor prints the mean over the training batches.
fit(student, trainset, {
  epochs: EPOCHS,
  batchSize: 64,
  lr: 0.001,
  seed: SEED + 100,
  evalSet: testset,
  name: 'student',
  onEpoch: printEpoch,
  loss: (studentLogits, batch) => distillationLoss(studentLogits, teacherRows(teacherLogits, batch), null),
});

// Beyond the notebook: the same student with the same init and the same batches, trained by
// Hinton's loss α·CE + (1 − α)·T²·KL at T = 4, α = 0.5, and on the labels alone, so that the
// difference is what distillation did. The notebook never ran the baseline.
const hinton = new StudentNet(new Rng(SEED + 100));
fit(hinton, trainset, {
  epochs: EPOCHS,
  seed: SEED + 100,
  loss: (logits, batch) => distillationLoss(logits, teacherRows(teacherLogits, batch), batch.labels, { temperature: 4, alpha: 0.5 }),
});
const baseline = new StudentNet(new Rng(SEED + 100));
fit(baseline, trainset, { epochs: EPOCHS, seed: SEED + 100, loss: (logits, batch) => crossEntropy(logits, batch.labels) });

// In [11]: %timeit evaluate(teacher_model)   -> 1.61 s (the data loader included)
// In [13]: %timeit evaluate(student_model)   -> 1.09 s
// slimtensor times the models alone on tensors already in memory, side by side in
// alternating rounds, at a batch of 64.
const speed = compareLatency(teacher, student, testset, { batchSize: 64 });
const rows = [
  ['teacher', teacher, evaluate(teacher, testset), speed.base],
  ["student (KD, the notebook's loss)", student, evaluate(student, testset), speed.model],
  ['student (KD, T=4 α=0.5)', hinton, evaluate(hinton, testset), null],
  ['student (labels only)', baseline, evaluate(baseline, testset), null],
] as const;
console.log();
console.table(
  rows.map(([model, net, accuracy, seconds]) => ({
    model,
    params: net.numParameters(),
    'accuracy %': Number((accuracy * 100).toFixed(2)),
    KiB: Number((modelBytes(net) / 1024).toFixed(1)),
    'ms / batch 64': seconds === null ? '' : Number((seconds * 1000).toFixed(3)),
  })),
);
console.log(
  `The student runs ${speed.speedUp.toFixed(2)}× as fast as the teacher (${(speed.base * 1000).toFixed(3)} ms ÷ ` +
    `${(speed.model * 1000).toFixed(3)} ms per batch of 64).`,
);
const gain = (rows[2][2] - rows[3][2]) * 100;
console.log(`KD (T=4, α=0.5) minus labels only: ${gain >= 0 ? '+' : ''}${gain.toFixed(2)} points on this seed.`);
