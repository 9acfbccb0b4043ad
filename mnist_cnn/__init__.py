"""The seed notebook's MNIST CNN as a package: model, data, preprocessing, training, evaluation, and the analyses
and experiments the page shows, as tensor functions. It imports no Gradio: the page is web/."""
