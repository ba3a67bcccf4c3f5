# The skeleton of pytorch/examples imagenet/main.py: cudnn.benchmark, DataParallel, torchvision transforms,
# a checkpoint of the wrapped model, best accuracy tracking.
import argparse
import os
import shutil

import torch
import torch.backends.cudnn as cudnn
import torch.nn as nn
import torch.nn.parallel
import torch.optim
import torch.utils.data
import torchvision.transforms as transforms

parser = argparse.ArgumentParser(description='PyTorch ImageNet Training (tiny)')
parser.add_argument('--epochs', default=4, type=int)
parser.add_argument('--lr', default=0.05, type=float)
parser.add_argument('--gpu', default=None, type=int)
parser.add_argument('--out', default='.', type=str)


class SmallNet(nn.Module):
    def __init__(self, num_classes=3):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
                                      nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Linear(8, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def save_checkpoint(state, is_best, filename='checkpoint.pth.tar'):
    torch.save(state, filename)
    if is_best:
        shutil.copyfile(filename, os.path.join(os.path.dirname(filename), 'model_best.pth.tar'))


def main():
    args = parser.parse_args()
    cudnn.benchmark = True
    model = SmallNet()
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        print('using CPU, this will be slow')
    if args.gpu is not None and torch.cuda.is_available():
        model = model.cuda(args.gpu)
    else:
        model = torch.nn.DataParallel(model)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), args.lr, momentum=0.9, weight_decay=1e-4)

    normalize = transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    torch.manual_seed(0)
    labels = torch.randint(0, 3, (96,))
    images = torch.rand(96, 3, 8, 8) * 0.2
    for c in range(3):
        images[labels == c, c] += 0.8  # the class is the brightest channel
    images = torch.stack([normalize(img) for img in images])
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, labels), batch_size=16, shuffle=True)

    best_acc1 = 0
    for epoch in range(args.epochs):
        model.train()
        for inp, target in loader:
            loss = criterion(model(inp), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            acc1 = (model(images).argmax(1) == labels).float().mean().item() * 100
        is_best = acc1 > best_acc1
        best_acc1 = max(acc1, best_acc1)
        save_checkpoint({'epoch': epoch + 1, 'arch': 'smallnet', 'state_dict': model.state_dict(),
                         'best_acc1': best_acc1, 'optimizer': optimizer.state_dict()}, is_best,
                        os.path.join(args.out, 'checkpoint.pth.tar'))
        print(f'epoch {epoch} acc1 {acc1:.1f} best {best_acc1:.1f}')
    print('keys:', sorted(model.state_dict())[:2])


if __name__ == '__main__':
    main()
