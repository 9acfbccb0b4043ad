"""The seed notebook's CNN, whose forward pass can also hand back every intermediate tensor."""
import torch
import torch.nn as nn
import torch.nn.functional as F

# The order in which data flows through the network; the app's panels follow it.
STAGES = (
    "conv1", "conv1_relu", "pool1",
    "conv2", "conv2_relu", "pool2",
    "flatten", "fc1", "fc1_relu", "logits", "log_probs",
)


class Net(nn.Module):
    """conv1 -> ReLU -> pool -> conv2 -> ReLU -> pool -> fc1 -> ReLU -> fc2 -> log_softmax."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)  # padding=1 keeps 28: (28 + 2*1 - 3) // 1 + 1 = 28
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)  # no weights, so one module serves both pooling steps
        self.fc1 = nn.Linear(7 * 7 * 64, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor, return_activations: bool = False) -> torch.Tensor | tuple[torch.Tensor, dict]:
        """Log-probabilities (N, 10); with return_activations, also a dict of every stage's tensor."""
        acts = {}  # local to this call, so concurrent calls never share activations
        acts["conv1"] = x = self.conv1(x)         # (N, 32, 28, 28)
        acts["conv1_relu"] = x = F.relu(x)
        acts["pool1"] = x = self.pool(x)          # (N, 32, 14, 14)
        acts["conv2"] = x = self.conv2(x)         # (N, 64, 14, 14)
        acts["conv2_relu"] = x = F.relu(x)
        acts["pool2"] = x = self.pool(x)          # (N, 64, 7, 7)
        acts["flatten"] = x = x.flatten(1)        # (N, 7 * 7 * 64) = (N, 3136)
        acts["fc1"] = x = self.fc1(x)             # (N, 128)
        acts["fc1_relu"] = x = F.relu(x)
        acts["logits"] = x = self.fc2(x)          # (N, 10)
        acts["log_probs"] = x = F.log_softmax(x, dim=1)  # dim=1: across the 10 classes of each image
        return (x, acts) if return_activations else x


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
