"""The seed notebook's MNIST CNN as a package: model, data, preprocessing, training and pictures."""
