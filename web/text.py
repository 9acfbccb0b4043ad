"""The app's words in English and Spanish: key -> markdown, for gr.I18n(en=EN, es=ES).

The seed notebook's explanations (padding, stride, dim=1, what each layer does) rewritten for the app's panels.
Gradio formats these as ICU messages, so they contain no braces and use ’ for apostrophes. Spanish separates
thousands with a no-break space, as the RAE recommends.
"""

EN = {
    "app.title": "Inside a CNN: draw a digit",
    "app.tab": "Inside a CNN",  # the browser tab's title
    "app.intro": (
        "Draw a digit from 0 to 9. A small convolutional neural network (CNN), trained on the 60,000 handwritten "
        "digits of MNIST, reads it. Below, follow your drawing through every layer, in the order the data flows."
    ),
    "draw.label": "Draw a digit",
    "draw.area": "Drawing area: draw a digit here with the mouse, a pen or a finger",
    "draw.hint": "Draw with the mouse, a pen or your finger. The network reads while you draw, and again when you "
                 "lift the pen.",
    "clear": "Clear",
    "undo": "Undo",
    "upload.label": "…or upload a picture of a digit",
    "picture.zoom": "Enlarge",  # a picture shown at full size, to read its small print
    "prediction.label": "Prediction",
    "prediction.all": "Show all 10 digits",
    "examples.label": "Digits from the MNIST test set: click one",
    "padding.title": "Padding: a frame of zeros keeps the size",
    "stride.title": "Stride: how far the window moves",
    "dim1.title": "dim=1: one row per image",
    # the lesson's tabs: short, so that all of them fit on one line
    "step.model": "Layers",
    "step.padding": "Padding",
    "step.stride": "Stride",
    "step.dim1": "dim=1",
    "step.experiments": "Experiments",
    "step.own": "Your network",
    "step.learning": "Learning",
    "step.class": "For the class",
    "explain.padding": (
        "**Padding.** A 3×3 filter centred on a pixel at the edge would stick out of the image. `padding=1` adds "
        "a one-pixel frame of zeros around it, so every pixel gets a full window. The output size is "
        "⌊(n + 2p − k)/s⌋ + 1 (n input size, p padding, k kernel size, s stride): for conv1, "
        "⌊(28 + 2·1 − 3)/1⌋ + 1 = 28. Without padding it would shrink to 26."
    ),
    "explain.stride": (
        "**Stride.** How many pixels the window moves at each step. The convolutions use stride 1: they look at "
        "every position, so the size stays the same. Max pooling uses a 2×2 window with stride 2: the windows do "
        "not overlap and each side is halved, 28 → 14 → 7."
    ),
    "explain.dim1": (
        "**dim=1.** The network works on a batch of images at once. Its last layer gives a tensor of shape "
        "N × 10: one row per image, one column per digit. `log_softmax(x, dim=1)` normalises along dimension 1, "
        "across the 10 classes, so each image’s probabilities add up to 1. With dim=0 it would mix different "
        "images."
    ),
    # The batch of the dim1 step (#batch: web/batch_view.py) and the question before each seed step
    # (#question-<step>: web/question_view.py); plain text filled in with % formatting
    "batch.title": "dim=1 on a real batch",
    "batch.text": (
        "Your drawing is row 0 of a batch; the other rows are the first digits of the MNIST test set. The network "
        "reads the whole batch in one forward pass, and its last layer gives one row of 10 logits per image. "
        "Switch between dim=1 and dim=0 and see what each one normalises."
    ),
    "batch-size.label": "Batch size N (images)",
    "batch-dim.label": "Normalise along",
    "batch.caption": (
        "softmax(logits, dim=%(dim)s) for a batch of %(n)s: one row per image, one column per digit; the larger a "
        "value, the deeper its colour"
    ),
    "batch.region": "Table of probabilities, dim=%(dim)s, %(n)s rows",
    "batch.image": "image",
    "batch.row-sum": "row sum",
    "batch.column-sum": "column sum",
    "batch.drawing": "Row 0: your drawing",
    "batch.digit": "Row %(row)s: MNIST test digit %(index)s, a %(label)s",
    "batch.rows": (
        "With dim=1 every row sums to 1: each image shares 1 among its 10 digits. Your drawing’s row sums to "
        "%(sum)s, and it reads %(digit)s with %(p)s. That row comes from your drawing alone, so it is the same "
        "whatever else is in the batch, and whatever its size."
    ),
    "batch.columns": (
        "With dim=0 every column sums to 1 instead: each digit is shared among the %(n)s images. Your drawing’s "
        "row then sums to %(sum)s, and its largest value, %(p)s, is for %(digit)s. These numbers change when the "
        "batch changes: each is divided by a sum over the other images too."
    ),
    "batch.columns.other": "Its dim=1 answer, %(same)s, gets %(q)s here: even the answer has changed.",
    "batch.columns.one": (
        "With dim=0 every column sums to 1 instead. In a batch of one, each column holds a single number, divided "
        "by itself: every digit gets 1, and the drawing has no answer."
    ),
    "batch.loss": (
        "F.nll_loss of the batch, with MNIST’s labels (your drawing has none, so its row takes its dim=1 answer, "
        "%(digit)s, as its label): %(loss1)s with dim=1, %(loss0)s with dim=0."
    ),
    "batch.why": (
        "Training with dim=0 goes wrong. The loss then compares each image’s score for its label with the other "
        "images’ scores for that digit, never with its own scores for the other digits, so nothing teaches it to "
        "tell one image’s digits apart. What it learns also depends on which images share the batch, and in a "
        "batch of one every probability is 1: the loss is 0 whatever the network answers, and nothing is learned."
    ),
    "batch.shapes": "The shapes with the batch, N = %(n)s:",
    "batch.view": (
        "The seed flattens with %(code)s. Its −1 means “as many rows as it takes”: %(total)s numbers / %(width)s "
        "per image = %(n)s rows, one per image: the batch size."
    ),
    "batch.one": (
        "The sandbox runs your drawing alone, in a batch of one: that is the 1 of %(one)s in its PyTorch error "
        "(with padding=0, say). mat1 is the flatten, one row per image with %(width)s numbers each; mat2, "
        "%(weights)s, is fc1’s weights (transposed), which expect %(expected)s. With this batch of %(n)s the same "
        "mistake says %(mine)s:"
    ),
    "error.batch_size": "The batch size must be a whole number from 1 to %(limit)s.",
    "error.batch_dim": "The normalisation must be along dim 0 or dim 1.",
    "error.question": "There is no such question on this page.",
    "error.choice": "That is not one of the answers: pick one of the %(n)s choices.",
    "question.title": "Before you look",
    "question.reveal": "The answer, explained (open it once you have answered)",
    "question.choices": "Your answer",
    "question.right": "Right.",
    "question.wrong": "Not quite: the answer is %(answer)s.",
    "question.model": (
        "Think first: your drawing goes through conv1, pool1, conv2, pool2 and flatten. How many numbers does fc1 "
        "get for it?"
    ),
    "question.model.why": (
        "Run on your drawing, pool2 gives %(c)s maps of %(h)s × %(w)s, and flatten lines them up: %(answer)s "
        "numbers (%(h)s · %(w)s · %(c)s), the in_features of fc1 = Linear(3136, 128). 784 would be the 28 × 28 "
        "input itself, 6272 is pool1’s 32 × 14 × 14, and 128 is what fc1 gives out."
    ),
    "question.padding": (
        "Think first: if conv1 had padding=0 instead of padding=1, what size would its maps of your drawing be?"
    ),
    "question.padding.why": (
        "conv1’s own filters run on your drawing with padding=0 (nn.functional.conv2d) give %(channels)s maps of "
        "%(answer)s × %(answer)s: ⌊(%(n)s + 2·%(p)s − %(k)s)/%(s)s⌋ + 1 = %(answer)s. Without the frame of "
        "zeros, a 3×3 window cannot be centred on an edge pixel, so each side loses one pixel at each end."
    ),
    "question.stride": (
        "Think first: if pool1 moved its 2×2 window 1 pixel at a time (stride 1) instead of 2, what size would "
        "its maps be?"
    ),
    "question.stride.why": (
        "max_pool2d with stride %(s)s, run on your drawing’s conv1 maps, gives %(answer)s × %(answer)s: "
        "⌊(%(n)s − %(k)s)/%(s)s⌋ + 1 = %(answer)s. The windows now overlap, so the maps hardly shrink; with the "
        "seed’s stride %(seed_stride)s they do not overlap and each side is halved, to %(seed)s."
    ),
    "question.dim1": (
        "Think first: the network ends with log_softmax(x, dim=1), and x has the shape [N, 10], one row per "
        "image. What sums to 1?"
    ),
    "question.dim1.row": "each row: one image’s 10 probabilities",
    "question.dim1.column": "each column: one digit over all the images",
    "question.dim1.table": "the whole table",
    "question.dim1.why": (
        "On a batch of %(n)s with your drawing in row 0, every row of softmax(x, dim=1) sums to 1 (yours: "
        "%(row)s), and the columns do not (the column of %(digit)s sums to %(column)s). dim=1 is the dimension of "
        "the classes: each image gets its own 10 probabilities. dim=0 would make each column sum to 1 instead."
    ),
    "error.blank": "Nothing is drawn yet: draw a digit or upload a picture of one.",
    # Input errors (mnist_cnn.errors.InputError), filled in with % formatting like the close-ups below
    "error.data_url": "The drawing could not be decoded: it is not a valid image data URL.",
    "error.no_file": "There is no image file at %(name)s.",
    "error.file_size": "The file is too large (%(size)s MB); the limit is %(limit)s MB.",
    "error.empty_file": "The file is empty: it holds no image.",
    "error.pixels": "The image is too large (%(width)s×%(height)s pixels); the limit is %(limit)s megapixels.",
    "error.bomb": "The image is too large to open safely; the limit is %(limit)s megapixels.",
    "error.not_image": "The file is not an image that can be read (the page reads %(formats)s).",
    "error.format": "%(format)s images cannot be read here: the page reads %(formats)s.",
    "error.damaged": "The image file is damaged or incomplete, so it cannot be read.",
    "error.blank_image": "The image is blank: nothing is drawn on it.",
    "error.dot": "Nothing is drawn: there is only a dot. Draw a whole digit.",
    "error.erased": "The sliders have erased your drawing: what is left is too faint to be a digit, so the network’s "
                    "reading is not shown. Make the strokes thicker again, or go back to your drawing.",
    "error.drawing": "The drawing could not be read: the pad sends a PNG picture of at most 1 MB and 560×560 pixels.",
    "error.scribble": "More than half of the pad is ink: that is not one digit. Clear it and draw a single digit.",
    "error.not_uploaded": "That file was not uploaded through this page, so it is not read.",
    "error.too_large": "The request is too large: the page never sends more than %(limit)s MB at once.",
    "error.session": "There is no such session or answer here: reload the page to start again.",
    "error.busy": "Too many of your requests are waiting: wait for the answers on their way, then try again.",
    "error.uploads": "Too many uploads from your address in a short time: wait a few seconds, then try again.",
    "error.upload": "The upload was refused: the page sends one file at a time, and nothing else with it.",
    "error.shut_out": "Too many refused requests came from your address: wait %(seconds)s seconds, then reload the page.",
    "error.request": "The request could not be read: it is not valid JSON.",
    "error.closed": "This page does not offer that route.",
    "error.step": "There is no such step: the address may ask for ?step= %(steps)s.",
    "error.lang": "There is no such language: the address may ask for ?lang=en or ?lang=es.",
    "error.value": "The request was refused: it sends an event of this page a value the page never sends.",
    "error.side": "The image is too long or too tall (%(width)s×%(height)s pixels); no side may exceed %(limit)s "
                  "pixels.",
    "error.mode": "Images of this kind (%(mode)s) cannot be read: the page reads %(formats)s.",
    "error.scans": "This JPEG comes in more than %(limit)s scans (a progressive photo has about 10), so it is not "
                   "read.",
    "error.slow": "Reading this image took more than %(limit)s s, so it was stopped: try a smaller or simpler "
                  "picture.",
    "error.memory": "Reading this image needed more than %(limit)s MB of memory, so it was stopped: try a smaller "
                    "picture.",
    # Said by nginx in front of several processes of the app (deploy/), and by the page when its process is lost
    "error.limited": "Too many requests at once from here: wait a moment, then try again.",
    "error.upload_size": "The file is too large: files of at most %(limit)s MB are read.",
    "error.unavailable": "The app is not answering at the moment; this page tries again by itself every few seconds.",
    "replica.lost": "The server that held this page stopped, so this is a fresh page: your drawing, your choices and "
                    "any network you uploaded are gone. Draw your digit again.",

    # Alt texts and button names, filled in per reading
    "alt.input28": "Preparing the drawing: its ink, a box of %(w)s×%(h)s pixels, scaled to %(dw)s×%(dh)s and "
                   "centred in 28×28",
    "alt.input28.moved": "Preparing the drawing: its ink, a box of %(w)s×%(h)s pixels, then the 28×28 input as the "
                         "what-if sliders changed it",
    "alt.input28.erased": "Preparing the drawing: its ink, a box of %(w)s×%(h)s pixels, then the 28×28 input, "
                          "nearly black: the what-if sliders erased the drawing",
    "alt.maps": "%(layer)s: %(n)s maps of %(side)s×%(side)s; the strongest is map %(top)s",
    "alt.map": "%(layer)s, map %(channel)s",
    "alt.units": "fc1: %(active)s of 128 units active; the strongest is unit %(top)s",
    "alt.output": "Output: %(digit)s with probability %(p)s; next %(second)s with %(q)s",
    "alt.kernel": "%(layer)s filter %(channel)s: the input patch it looked at and its map",
    "alt.saliency": "The pixels that pushed %(digit)s up (red) and down (blue)",
    "alt.example": "Example: a %(digit)s from the MNIST test set",
    "alt.mistake": "Test digit %(digit)s that the network read as %(guess)s (%(p)s)",

    "alt.filter-top": "The %(n)s patches of MNIST test digits that excite %(layer)s filter %(channel)s most",
    "alt.sandbox": "Your 28×28 input beside conv1 filter %(channel)s’s map at its true size, %(side)s×%(side)s",
    "alt.occlusion": "Where covering the drawing lowers %(digit)s most (red) and raises it (blue)",
    "layers.title": "Layer by layer",
    "layers.intro": "Your drawing’s trip through the network, in the order the data flows. Each picture is drawn "
                    "from this drawing’s own numbers.",
    "experiment.title": "Experiment with your drawing",
    "own.upload": "Upload my network (.pt)",
    "own.use-shipped": "Back to the app’s network",
    "own.compare.shipped": "The app’s network",
    "own.compare.own": "Your network",

    "learning.title": "Watch it learn",
    "learning.intro": (
        "The network on this page was trained here in 15 passes over its training digits. These are snapshots of "
        "that run. At the random start its 32 conv1 filters are noise and it answers at random; within a few "
        "hundred steps the filters turn into strokes and edges, and it reads most digits. Later epochs only polish "
        "it. Move the slider and watch the filters, its answer for your drawing and its accuracy change."
    ),
    "learning.step": "Moment of the training run",
    "learning.curve": "Training loss",
    "learning.step-axis": "training step",
    "learning.start": "The random start",
    "learning.steps": "After %(n)s steps",
    "learning.epoch": "After epoch %(n)s",
    "learning.accuracy": "%(accuracy)s right on the 10,000 MNIST test digits.",
    "learning.loss": "loss",
    "learning.now": "this moment",
    "learning.snapshot": "Snapshot %(i)s of %(last)s on the slider. The slider counts the snapshots kept of the run, "
                         "many of them early on, where the network changes most; not its %(epochs)s epochs.",
    "alt.filters": "conv1’s 32 filters %(when)s",
    "plot.line": "%(name)s from %(low)s to %(high)s",
    "gradio.range": "Slider: %(label)s",
    "gradio.number": "Number box: %(label)s",
    "gradio.reset": "Back to its starting value",
    "gradio.empty": "Nothing read yet",
    "gradio.more-tabs": "More steps",

    # When the top two are close
    "unsure.title": "%(a)s or %(b)s?",
    "unsure.text": "The network is unsure: %(a)s at %(pa)s, %(b)s at %(pb)s. %(hint)s",
    "unsure.hint": "Look at the strokes where the two digits differ.",
    "unsure.1-7": "Look at the top: a 7 has a long bar there, a 1 at most a short flag (and a crossed stem is a 7).",
    "unsure.4-9": "Look at the top: a 4 is open there, a 9 closes into a loop.",
    "unsure.3-5": "Look at the top half: a 5 has a straight bar and a corner, a 3 a curve.",
    "unsure.5-6": "Look at the bottom: a 6 closes into a loop, a 5 stays open on the left.",
    "unsure.0-6": "Look at the top: a 6 has a stem that leaves the loop, a 0 is one closed ring.",
    "unsure.2-7": "Look at the bottom: a 2 ends in a flat base, a 7 ends in its stem.",
    "unsure.3-8": "Look at the left side: an 8 closes both loops there, a 3 leaves them open.",
    "unsure.8-9": "Look at the bottom: an 8 has a second loop, a 9 a straight stem.",
    "unsure.0-8": "Look at the middle: an 8 is pinched into two loops, a 0 is one ring (a slashed zero is still 0).",
    "unsure.1-4": "Look at the top left: a 4 has a second stroke there, a 1 does not.",
    "unsure.0-9": "Look at the bottom: a 9 has a stem below its loop, a 0 closes.",
    "unsure.7-9": "Look at the top: a 9 closes into a loop, a 7 is a bar.",

    "input28.title": "What the network sees: 28×28 pixels",
    "input28.text": (
        "Tensor: **1 × 28 × 28** (one grey channel). No parameters: this is preparation, done as for MNIST.\n\n"
        "1. Find the ink and its bounding box (green; its size in pixels above).\n"
        "2. Scale the box so its longer side is 20 px, keeping its proportions, and give every stroke one width, "
        "a little bolder than MNIST’s, whatever the brush.\n"
        "3. Place it in a black 28×28 square so that its centre of mass (+) falls at the centre. Then every "
        "pixel is normalised with MNIST’s mean and standard deviation."
    ),
    "act-conv1.title": "conv1: 32 filters of 3×3 → 32 maps of 28×28",
    "act-conv1.text": (
        "Shape: **1 × 28 × 28 → 32 × 28 × 28**. Parameters: 32 · (1 · 3 · 3) + 32 = **320** "
        "(9 weights and a bias per filter).\n\n"
        "Each filter is a 3×3 grid of weights that slides over the image. At each position it multiplies the 9 "
        "pixels under it by its weights and adds them up: the sum is large where the image looks like the "
        "filter’s pattern, such as a stroke in one direction. ReLU then turns negative sums into 0. "
        "`padding=1` keeps the size: ⌊(28 + 2·1 − 3)/1⌋ + 1 = 28.\n\n"
        "Left of each map is its filter (blue: negative weights, orange: positive). All 32 maps share one colour "
        "scale, so they can be compared: black is 0, the brightest colour is the largest value in the layer.\n\n"
        "**Click or tap a map** (or Tab to the maps, move with the arrow keys, press Enter) to see its filter "
        "worked out with your drawing’s numbers."
    ),
    "act-pool1.title": "pool1: 2×2 max pooling → 32 maps of 14×14",
    "act-pool1.text": (
        "Shape: **32 × 28 × 28 → 32 × 14 × 14**. Size: ⌊(28 − 2)/2⌋ + 1 = 14 (2×2 window, stride 2). "
        "Parameters: **0**.\n\n"
        "Each 2×2 block of a map (after ReLU) is replaced by its largest value. The map halves in each direction "
        "but keeps its strongest responses, and a small shift of the drawing hardly changes it. Less to compute "
        "in the next layer. Same kind of colour scale: black is 0."
    ),
    "act-conv2.title": "conv2: 64 filters of 3×3×32 → 64 maps of 14×14",
    "act-conv2.text": (
        "Shape: **32 × 14 × 14 → 64 × 14 × 14**. Size: ⌊(14 + 2·1 − 3)/1⌋ + 1 = 14. "
        "Parameters: 64 · (32 · 3 · 3) + 64 = **18,496**.\n\n"
        "Each of the 64 filters looks at a 3×3 window through all 32 maps of pool1 at once (288 weights) and "
        "adds everything up. It combines the simple strokes found by conv1 into larger shapes: corners, curves, "
        "loops, line ends. Shown after ReLU, on one colour scale for the layer: black is 0.\n\n"
        "**Click or tap a map** (or Tab to the maps, move with the arrow keys, press Enter) to see its filter "
        "worked out."
    ),
    "act-pool2.title": "pool2: 2×2 max pooling → 64 maps of 7×7",
    "act-pool2.text": (
        "Shape: **64 × 14 × 14 → 64 × 7 × 7**. Size: ⌊(14 − 2)/2⌋ + 1 = 7. Parameters: **0**.\n\n"
        "Pooling again halves every map. Each value now summarises a 10×10 patch of the 28×28 input: it says "
        "whether a shape is present in that part of the digit. These 7 × 7 × 64 = 3136 numbers are all that "
        "the classifier gets to see."
    ),
    "act-fc1.title": "fc1: 3136 numbers → 128 units",
    "act-fc1.text": (
        "Shape: **64 × 7 × 7 → 3136 → 128**. Flatten lines the 64 maps up into one list of "
        "7 × 7 × 64 = 3136 numbers. Parameters: 3136 · 128 + 128 = **401,536**, 95% of the network’s "
        "421,642.\n\n"
        "Each of the 128 units is connected to all 3136 numbers: it weighs the evidence from every shape at every "
        "place. After ReLU many units are 0 (black). The 5 most active are framed in green, with their values."
    ),
    "act-output.title": "fc2 and softmax: 10 scores → 10 probabilities",
    "act-output.text": (
        "Shape: **128 → 10**. Parameters: 128 · 10 + 10 = **1,290**. Whole network: 320 + 18,496 + 401,536 + "
        "1,290 = 421,642.\n\n"
        "fc2 gives one score (logit) per digit: orange bars are positive, blue ones negative. Softmax turns the "
        "scores into probabilities: take the exponential of each and divide by their sum, so all are positive "
        "and add up to 1. The network returns `log_softmax(x, dim=1)`: x has one row per image in the batch, and "
        "`dim=1` normalises across the 10 classes of each image."
    ),

    # Close-up panels: plain text filled in per drawing with % formatting, e.g. %(row)s.
    "kernel.title": "%(layer)s, filter %(channel)s: the convolution worked out at its most active pixel, "
                    "row %(row)s, column %(col)s (counting from 0)",
    "kernel.input.conv1": "Its input is the normalised 28×28 digit.",
    "kernel.input.conv2": (
        "Its input is pool1: 32 maps of 14×14. The filter has one 3×3 slice for each of the %(n)s input channels "
        "and sums over all of them; channel %(top)s adds the most here, so its slice is shown."
    ),
    "kernel.padding": "Grey cells lie outside the input: they are the zeros that padding=1 adds.",
    "kernel.weights": "filter weights",
    "kernel.patch": "input patch",
    "kernel.products": "products",
    "kernel.sum": "sum of the 9 products",
    "kernel.in_channel": "input channel",
    "kernel.sum.channels": "sum over the %(n)s channels",
    "kernel.partials": "What each input channel adds (its 9 products summed):",
    "kernel.bias": "bias",
    "kernel.check": "the value the map shows at this pixel",
    "kernel.relu": "ReLU keeps a positive value and turns a negative one into 0.",
    "saliency.caption": (
        "Red pixels pushed “%(digit)s” up and blue ones pushed it down (gradient × input, measured from blank "
        "paper, with colours scaled to this drawing’s strongest pixel)."
    ),
    "softmax.digit": "digit",
    "softmax.prob": "p = exp / sum",
    "softmax.shift": (
        "First the largest logit, %(max)s, is subtracted from all 10: exp of a large number overflows, and "
        "subtracting the same number from every logit leaves the probabilities unchanged."
    ),
    "softmax.sum": (
        "Sum of the 10 exponentials: %(sum)s. Each probability is its exponential divided by this sum, so the 10 "
        "add up to 1."
    ),
    "softmax.log": (
        "The last column, log p = (z − max) − log(sum), is what the network’s last line, "
        "F.log_softmax(x, dim=1), returns."
    ),
    "softmax.dim": (
        "Why dim=1: the output has shape (N, 10), one row per image of the batch (dim 0) and one column per class "
        "(dim 1); dim=1 normalises each row across its 10 classes, so every image gets its own probabilities that "
        "add up to 1."
    ),
    "mistakes.intro": (
        "%(n)s of the %(total)s MNIST test digits that this network misreads. Under each: the true digit → what "
        "the network read, and how sure it was. Click one to look inside the network as it reads it."
    ),
    "closer.title": "Look closer",
    "closer.intro": (
        "The filter, the pixels and the softmax below follow your latest stroke too. The last part shows digits "
        "that the network gets wrong: click one to read it instead of a drawing."
    ),
    "kernel-detail.title": "One filter at work",
    "kernel-detail.hint": (
        "Click any map of conv1 or conv2 above to open its filter here; the map open here has a green frame. "
        "Until you click, this is the conv1 filter whose map is strongest."
    ),
    "saliency.title": "The pixels that mattered",
    "softmax-steps.title": "Softmax, worked out",
    "mistakes.title": "Where the network fails",
    "sandbox.title": "Sandbox: change conv1’s padding and stride",
    "sandbox.intro": (
        "conv1’s 32 trained filters run on your drawing with the padding and stride you pick. The seed’s other "
        "layers stay as they are, so you can see which choices still fit fc1."
    ),
    "sandbox.padding": "Padding p",
    "sandbox.stride": "Stride s",
    "sandbox.pool-stride": "Max pooling stride",
    "sandbox.channel": "Filter",
    "sandbox.input": "input",
    "sandbox.formula": "Size of each conv1 map, ⌊(28 + 2p − k)/s⌋ + 1 with k = 3:",
    "sandbox.chain": "The shapes the seed’s code computes, by really running its layers:",
    "sandbox.fits": "fc1 fits: the flatten gives %(n)s numbers, exactly what fc1 = Linear(7 · 7 · 64, 128) takes.",
    "sandbox.mismatch": (
        "fc1 does not fit: it was built for 7 · 7 · 64 = 3136 numbers and gets %(n)s. This is PyTorch’s own "
        "error when the seed calls fc1:"
    ),
    "sandbox.why": (
        "A linear layer has one weight per input number, so its input size is fixed when it is built. Every choice "
        "before fc1 must end at 64 maps of 7 × 7, which is why the seed keeps 28 with padding 1 and stride 1."
    ),
    "what-if.title": "What if I move it?",
    "what-if.intro": (
        "Move, turn, scale or thicken your drawing and watch the network read the new input. Nothing is centred "
        "again, so you see what the network does with the digit exactly where you put it."
    ),
    "what-if.shift-x": "Move right (px)",
    "what-if.shift-y": "Move down (px)",
    "what-if.angle": "Turn (degrees, counter-clockwise)",
    "what-if.scale": "Scale",
    "what-if.thickness": "Strokes thinner or thicker (px steps)",
    "what-if.reset": "Back to my drawing",
    "what-if.curve-title": "Probability of the digit as the drawing moves",
    "what-if.shift-axis": "shift (px)",
    "what-if.probability-axis": "probability",
    "what-if.horizontal": "left–right",
    "what-if.vertical": "up–down",
    "what-if.shift": (
        "Unmoved, your drawing gets %(p0)s for %(digit)s. It stays above %(half)s from %(left)s to %(right)s px "
        "left–right and from %(up)s to %(down)s px up–down; moved up to 8 px, it gets between %(low)s and %(high)s."
    ),
    "what-if.shift.low": (
        "Unmoved, your drawing gets only %(p0)s for %(digit)s; moved up to 8 px, it gets between %(low)s and "
        "%(high)s."
    ),
    "what-if.why": (
        "The two 2×2 max poolings alone forgive only a pixel or so; the rest was learnt from shifted training "
        "digits, and it runs out a few pixels away. That is why the app centres every drawing by its centre of "
        "mass, as MNIST did with its digits."
    ),
    "occlusion.title": "Cover part of it",
    "occlusion.patch": "Patch size (px)",
    "occlusion.text": (
        "Each place shows how much covering a %(patch)s × %(patch)s square there with blank paper lowers the "
        "probability of %(digit)s (red) or raises it (blue). The square outlined in dark grey is where covering "
        "hurts most: %(before)s falls to %(after)s."
    ),
    "occlusion.none": "Covering any part of this drawing does not lower the probability of %(digit)s.",
    "occlusion.versus": (
        "Occlusion measures what removing a whole region does to the output: a large, finite change that includes "
        "how its pixels work together. Gradient × input is a local slope, each pixel alone as if the network were "
        "linear, so the two maps can disagree."
    ),
    "filter-top.title": "What does this filter look for?",
    "filter-top.intro": (
        "The places in MNIST test digits that make this filter fire most, one per digit, each cropped to the "
        "pixels the filter can see."
    ),
    "filter-top.layer": "Layer",
    "filter-top.channel": "Filter",
    "filter-top.caption": (
        "The %(n)s patches of the %(total)s MNIST test digits that excite %(layer)s filter %(channel)s most, from "
        "%(high)s down to %(low)s after ReLU. Each is the %(size)s × %(size)s input pixels that one unit of the map "
        "sees, its receptive field."
    ),
    "filter-top.blank": (
        "They are black because they are blank paper: this filter is strongest where there is no ink at all (its "
        "bias alone makes it positive there), so every digit’s strongest place is empty and all reach the same value."
    ),
    "own.title": "Your own network",
    "own.hint": (
        "Trained the network in the notebook? Upload the cnn.pt it saved (or a .pth or .safetensors file, at most "
        "5 MB) and your network reads the drawings instead of the app’s."
    ),
    "own.model.shipped": "Reading: the app’s network, %(accuracy)s right on %(n)s MNIST test digits (the first "
                         "%(per)s of each, so that an uploaded network is measured at once; on all %(total)s, as in "
                         "“Watch it learn”, the figure differs a little).",
    "own.model.own": "Reading: your network %(name)s, %(accuracy)s right on %(n)s MNIST test digits (the first "
                     "%(per)s of each, so that it is measured at once; on all %(total)s the figure differs a little).",
    "own.error.extension": "This is not a weights file: upload a .pt, .pth or .safetensors file.",
    "own.error.no_file": "There is no weights file to read: a folder or a device is not a file.",
    "own.error.size": (
        "The file is too large (%(size)s MB); a weights file may be at most %(limit)s MB (the app’s own is 1.7 MB)."
    ),
    "own.error.empty": "The file is empty: it holds no weights.",
    "own.error.not_weights": "The file cannot be read as a network’s weights.",
    "own.error.code": (
        "The file tries to run code when it is opened, so it was refused and nothing in it was run. Upload only "
        "the weights, saved with torch.save(model.state_dict(), \"cnn.pt\")."
    ),
    "own.error.full_model": (
        "The file holds the whole pickled network, not its weights. In the notebook, save only the weights: "
        "torch.save(model.state_dict(), \"cnn.pt\")."
    ),
    "own.error.layers": "The file’s layers are not this network’s. Missing: %(missing)s. Extra: %(extra)s.",
    "own.error.shape": "The layer %(layer)s has the shape %(got)s instead of %(want)s.",
    "own.error.flatten": (
        "fc1 has %(got)s inputs instead of %(want)s: was the network built with %(change)s? That leaves maps of "
        "%(side)s × %(side)s × 64 before fc1; this app’s network uses padding=1 and stride=1, which give 7 × 7 × 64."
    ),
    "own.error.inputs": (
        "fc1 has %(got)s inputs instead of %(want)s: the layers before it give maps of another size."
    ),
    "own.error.kernel": "%(layer)s has filters of %(got)s instead of 3 × 3: was kernel_size=%(k)s?",
    "own.error.channels": "conv1 takes images with %(got)s channels instead of 1: MNIST digits are grey.",
    "own.error.filters": (
        "%(layer)s has %(got)s filters instead of %(want)s: the network was built with another number of filters."
    ),
    "own.error.classes": "fc2 gives %(got)s outputs instead of 10: the network must tell apart the 10 digits.",
    "own.error.units": "fc1 has %(got)s units instead of %(want)s: the network was built with another fc1 size.",
    "own.error.dtype": "The layer %(layer)s holds %(dtype)s values instead of floating-point numbers.",
    "own.error.nan": (
        "The layer %(layer)s holds NaN or infinite values: the training diverged. Train again, perhaps with a "
        "smaller learning rate."
    ),
    # The class's way in (#class-link, web/class_link.py): %(url)s an address, %(command)s the command that serves
    # the page on the network
    "class-link.title": "Open this page on your phone",
    "class-link.text": "The class opens this page at this address, or by scanning the code with a phone’s camera.",
    "class-link.alt": "QR code of this page’s address, %(url)s",
    "class-link.local": (
        "This computer opened the page at its own address, which no other computer can reach. Serve the page on "
        "the classroom’s network with %(command)s; then the class opens %(url)s (the code above). If a phone still "
        "cannot reach it, this computer’s firewall may be blocking the port."
    ),
    "class-link.local_none": (
        "This is this computer’s own address: no other computer can reach it, so there is no code to scan. Serve "
        "the page on the classroom’s network with %(command)s, then open it at this computer’s address on the "
        "network (the page found none: is the computer connected?)."
    ),
    "class-link.unknown": (
        "The page’s address could not be read from the request: give the class the one in the browser’s address bar."
    ),
}

ES = {
    "app.title": "Dentro de una CNN: dibuja un dígito",
    "app.tab": "Dentro de una CNN",
    "app.intro": (
        "Dibuja un dígito del 0 al 9. Lo lee una pequeña red neuronal convolucional (CNN), entrenada con los "
        "60 000 dígitos manuscritos de MNIST. Más abajo puedes seguir tu dibujo por cada capa, en el mismo orden "
        "en que fluyen los datos."
    ),
    "draw.label": "Dibuja un dígito",
    "draw.area": "Zona de dibujo: dibuja aquí un dígito con el ratón, un lápiz o el dedo",
    "draw.hint": "Dibuja con el ratón, un lápiz o el dedo. La red lee mientras dibujas, y otra vez al levantar el "
                 "lápiz.",
    "clear": "Borrar",
    "undo": "Deshacer",
    "upload.label": "…o sube una imagen de un dígito",
    "picture.zoom": "Ampliar",
    "prediction.label": "Predicción",
    "prediction.all": "Mostrar los 10 dígitos",
    "examples.label": "Dígitos del conjunto de prueba de MNIST: haz clic en uno",
    "padding.title": "Padding: un marco de ceros conserva el tamaño",
    "stride.title": "Stride: cuánto avanza la ventana",
    "dim1.title": "dim=1: una fila por imagen",
    "step.model": "Capas",
    "step.padding": "Padding",
    "step.stride": "Stride",
    "step.dim1": "dim=1",
    "step.experiments": "Experimentos",
    "step.own": "Tu red",
    "step.learning": "Aprendizaje",
    "step.class": "Para la clase",
    "explain.padding": (
        "**Padding (relleno).** Un filtro de 3×3 centrado en un píxel del borde se saldría de la imagen. "
        "`padding=1` añade un marco de ceros de un píxel alrededor, así cada píxel tiene su ventana completa. "
        "El tamaño de salida es ⌊(n + 2p − k)/s⌋ + 1 (n tamaño de entrada, p relleno, k tamaño del filtro, "
        "s paso): en conv1, ⌊(28 + 2·1 − 3)/1⌋ + 1 = 28. Sin relleno se quedaría en 26."
    ),
    "explain.stride": (
        "**Stride (paso).** Cuántos píxeles avanza la ventana en cada movimiento. Las convoluciones usan paso 1: "
        "miran todas las posiciones y el tamaño no cambia. El max pooling usa una ventana de 2×2 con paso 2: las "
        "ventanas no se solapan y cada lado se reduce a la mitad, 28 → 14 → 7."
    ),
    "explain.dim1": (
        "**dim=1.** La red procesa un lote (batch) de imágenes a la vez. Su última capa da un tensor de forma "
        "N × 10: una fila por imagen y una columna por dígito. `log_softmax(x, dim=1)` normaliza a lo largo de "
        "la dimensión 1, es decir, entre las 10 clases, y así las probabilidades de cada imagen suman 1. Con "
        "dim=0 se mezclarían imágenes distintas."
    ),
    "batch.title": "dim=1 en un lote de verdad",
    "batch.text": (
        "Tu dibujo es la fila 0 de un lote; las demás filas son los primeros dígitos del conjunto de prueba de "
        "MNIST. La red lee el lote entero en una sola pasada hacia delante, y su última capa da una fila de 10 "
        "logits por imagen. Cambia entre dim=1 y dim=0 y mira qué normaliza cada uno."
    ),
    "batch-size.label": "Tamaño del lote N (imágenes)",
    "batch-dim.label": "Normalizar a lo largo de",
    "batch.caption": (
        "softmax(logits, dim=%(dim)s) de un lote de %(n)s: una fila por imagen y una columna por dígito; cuanto "
        "mayor es un valor, más intenso es su color"
    ),
    "batch.region": "Tabla de probabilidades, dim=%(dim)s, %(n)s filas",
    "batch.image": "imagen",
    "batch.row-sum": "suma de la fila",
    "batch.column-sum": "suma de la columna",
    "batch.drawing": "Fila 0: tu dibujo",
    "batch.digit": "Fila %(row)s: dígito de prueba %(index)s de MNIST, un %(label)s",
    "batch.rows": (
        "Con dim=1 cada fila suma 1: cada imagen reparte 1 entre sus 10 dígitos. La fila de tu dibujo suma "
        "%(sum)s, y la red lee un %(digit)s con %(p)s. Esa fila sale solo de tu dibujo, así que es la misma "
        "vaya con lo que vaya en el lote, y sea cual sea su tamaño."
    ),
    "batch.columns": (
        "Con dim=0, en cambio, cada columna suma 1: cada dígito se reparte entre las %(n)s imágenes. La fila de tu "
        "dibujo suma entonces %(sum)s, y su valor más alto, %(p)s, es para el %(digit)s. Estos números cambian "
        "cuando cambia el lote: cada uno se divide entre una suma que incluye también las demás imágenes."
    ),
    "batch.columns.other": "Su respuesta con dim=1, el %(same)s, recibe aquí %(q)s: hasta la respuesta ha cambiado.",
    "batch.columns.one": (
        "Con dim=0, en cambio, cada columna suma 1. En un lote de una sola imagen, cada columna tiene un único "
        "número, que se divide entre sí mismo: todos los dígitos reciben 1 y el dibujo se queda sin respuesta."
    ),
    "batch.loss": (
        "F.nll_loss del lote, con las etiquetas de MNIST (tu dibujo no tiene, así que su fila toma como etiqueta "
        "su respuesta con dim=1, el %(digit)s): %(loss1)s con dim=1 y %(loss0)s con dim=0."
    ),
    "batch.why": (
        "Entrenar con dim=0 sale mal. La pérdida compara entonces la puntuación de cada imagen para su etiqueta "
        "con las que dan a ese dígito las demás imágenes, nunca con sus propias puntuaciones para los otros "
        "dígitos, así que nada le enseña a distinguir los dígitos de una misma imagen. Lo que aprende depende "
        "además de qué imágenes comparten el lote, y en un lote de una sola imagen todas las probabilidades valen "
        "1: la pérdida es 0 responda lo que responda la red, y no aprende nada."
    ),
    "batch.shapes": "Las formas con el lote, N = %(n)s:",
    "batch.view": (
        "El cuaderno aplana con %(code)s. Su −1 significa «tantas filas como hagan falta»: %(total)s números / "
        "%(width)s por imagen = %(n)s filas, una por imagen: el tamaño del lote."
    ),
    "batch.one": (
        "La zona de pruebas pasa tu dibujo solo, en un lote de una imagen: ese es el 1 de %(one)s en su error de "
        "PyTorch (con padding=0, por ejemplo). mat1 es el flatten, una fila por imagen con %(width)s números cada "
        "una; mat2, %(weights)s, son los pesos de fc1 (traspuestos), que esperan %(expected)s. Con este lote de "
        "%(n)s, el mismo error dice %(mine)s:"
    ),
    "error.batch_size": "El tamaño del lote tiene que ser un número entero del 1 al %(limit)s.",
    "error.batch_dim": "La normalización tiene que ser a lo largo de dim 0 o de dim 1.",
    "error.question": "En esta página no hay esa pregunta.",
    "error.choice": "Esa no es una de las respuestas: elige una de las %(n)s opciones.",
    "question.title": "Antes de mirar",
    "question.reveal": "La respuesta, explicada (ábrela cuando hayas respondido)",
    "question.choices": "Tu respuesta",
    "question.right": "¡Correcto!",
    "question.wrong": "No exactamente: la respuesta es %(answer)s.",
    "question.model": (
        "Piensa primero: tu dibujo pasa por conv1, pool1, conv2, pool2 y flatten. ¿Cuántos números recibe fc1?"
    ),
    "question.model.why": (
        "Con tu dibujo, pool2 da %(c)s mapas de %(h)s × %(w)s, y flatten los pone en fila: %(answer)s números "
        "(%(h)s · %(w)s · %(c)s), los in_features de fc1 = Linear(3136, 128). 784 sería la propia entrada de "
        "28 × 28, 6272 son los 32 × 14 × 14 de pool1, y 128 es lo que da fc1."
    ),
    "question.padding": (
        "Piensa primero: si conv1 tuviera padding=0 en lugar de padding=1, ¿de qué tamaño serían sus mapas de tu "
        "dibujo?"
    ),
    "question.padding.why": (
        "Los filtros de conv1 aplicados a tu dibujo con padding=0 (nn.functional.conv2d) dan %(channels)s mapas "
        "de %(answer)s × %(answer)s: ⌊(%(n)s + 2·%(p)s − %(k)s)/%(s)s⌋ + 1 = %(answer)s. Sin el marco de "
        "ceros, una ventana de 3×3 no puede centrarse en un píxel del borde, así que cada lado pierde un píxel "
        "por cada extremo."
    ),
    "question.stride": (
        "Piensa primero: si pool1 moviera su ventana de 2×2 de píxel en píxel (stride 1) en lugar de 2 en 2, ¿de "
        "qué tamaño serían sus mapas?"
    ),
    "question.stride.why": (
        "max_pool2d con stride %(s)s sobre los mapas de conv1 de tu dibujo da %(answer)s × %(answer)s: "
        "⌊(%(n)s − %(k)s)/%(s)s⌋ + 1 = %(answer)s. Ahora las ventanas se solapan y los mapas apenas encogen; con "
        "el stride %(seed_stride)s del cuaderno no se solapan y cada lado se reduce a la mitad, a %(seed)s."
    ),
    "question.dim1": (
        "Piensa primero: la red termina con log_softmax(x, dim=1), y x tiene la forma [N, 10], una fila por "
        "imagen. ¿Qué suma 1?"
    ),
    "question.dim1.row": "cada fila: las 10 probabilidades de una imagen",
    "question.dim1.column": "cada columna: un dígito en todas las imágenes",
    "question.dim1.table": "la tabla entera",
    "question.dim1.why": (
        "En un lote de %(n)s con tu dibujo en la fila 0, cada fila de softmax(x, dim=1) suma 1 (la tuya: "
        "%(row)s), y las columnas no (la del %(digit)s suma %(column)s). dim=1 es la dimensión de las clases: "
        "cada imagen recibe sus propias 10 probabilidades. Con dim=0 sería cada columna la que sumara 1."
    ),
    "error.blank": "Todavía no hay nada dibujado: dibuja un dígito o sube una imagen.",
    "error.data_url": "No se pudo descodificar el dibujo: no es una URL de datos de imagen válida.",
    "error.no_file": "No hay ningún archivo de imagen en %(name)s.",
    "error.file_size": "El archivo es demasiado grande (%(size)s MB); el límite es de %(limit)s MB.",
    "error.empty_file": "El archivo está vacío: no contiene ninguna imagen.",
    "error.pixels": "La imagen es demasiado grande (%(width)s×%(height)s píxeles); el límite es de %(limit)s "
                    "megapíxeles.",
    "error.bomb": "La imagen es demasiado grande para abrirla con seguridad; el límite es de %(limit)s megapíxeles.",
    "error.not_image": "El archivo no es una imagen que se pueda leer (la página lee %(formats)s).",
    "error.format": "Las imágenes %(format)s no se pueden leer aquí: la página lee %(formats)s.",
    "error.damaged": "El archivo de imagen está dañado o incompleto, así que no se puede leer.",
    "error.blank_image": "La imagen está en blanco: no hay nada dibujado.",
    "error.dot": "No hay nada dibujado: solo hay un punto. Dibuja un dígito entero.",
    "error.erased": "Los controles han borrado tu dibujo: lo que queda es demasiado tenue para ser un dígito, así "
                    "que no se muestra lo que lee la red. Vuelve a engrosar los trazos o vuelve a tu dibujo.",
    "error.drawing": "No se pudo leer el dibujo: el panel envía una imagen PNG de 1 MB y 560×560 píxeles como mucho.",
    "error.scribble": "Más de la mitad del panel está cubierta de tinta: eso no es un dígito. Bórralo y dibuja uno solo.",
    "error.not_uploaded": "Ese archivo no se subió desde esta página, así que no se lee.",
    "error.too_large": "La petición es demasiado grande: la página nunca envía más de %(limit)s MB de una vez.",
    "error.session": "Aquí no hay ninguna sesión ni respuesta así: recarga la página para empezar de nuevo.",
    "error.busy": "Tienes demasiadas peticiones esperando: espera a que lleguen las respuestas y vuelve a intentarlo.",
    "error.uploads": "Demasiadas subidas desde tu dirección en poco tiempo: espera unos segundos y vuelve a intentarlo.",
    "error.upload": "Se rechazó la subida: la página envía un archivo cada vez, y nada más con él.",
    "error.shut_out": "Llegaron demasiadas peticiones rechazadas desde tu dirección: espera %(seconds)s segundos y recarga la página.",
    "error.request": "No se pudo leer la petición: no es JSON válido.",
    "error.closed": "Esta página no ofrece esa ruta.",
    "error.step": "No existe ese paso: la dirección puede pedir ?step= %(steps)s.",
    "error.lang": "No existe ese idioma: la dirección puede pedir ?lang=en o ?lang=es.",
    "error.value": "Se rechazó la petición: envía a un evento de esta página un valor que la página nunca envía.",
    "error.side": "La imagen es demasiado larga o alta (%(width)s×%(height)s píxeles); ningún lado puede pasar de "
                  "%(limit)s píxeles.",
    "error.mode": "Las imágenes de este tipo (%(mode)s) no se pueden leer: la página lee %(formats)s.",
    "error.scans": "Este JPEG llega en más de %(limit)s pasadas (una foto progresiva tiene unas 10), así que no "
                   "se lee.",
    "error.slow": "Leer esta imagen llevó más de %(limit)s s, así que se detuvo: prueba con una imagen más "
                  "pequeña o más sencilla.",
    "error.memory": "Leer esta imagen necesitaba más de %(limit)s MB de memoria, así que se detuvo: prueba con "
                    "una imagen más pequeña.",
    "error.limited": "Demasiadas peticiones a la vez desde aquí: espera un momento y vuelve a intentarlo.",
    "error.upload_size": "El archivo es demasiado grande: se leen archivos de %(limit)s MB como mucho.",
    "error.unavailable": "La aplicación no responde en este momento; esta página vuelve a intentarlo sola cada pocos "
                         "segundos.",
    "replica.lost": "El servidor que tenía esta página se detuvo, así que esta es una página nueva: tu dibujo, tus "
                    "elecciones y la red que hayas subido se han perdido. Vuelve a dibujar tu dígito.",

    "alt.input28": "Preparación del dibujo: su trazo, un recuadro de %(w)s×%(h)s píxeles, escalado a "
                   "%(dw)s×%(dh)s y centrado en 28×28",
    "alt.input28.moved": "Preparación del dibujo: su trazo, un recuadro de %(w)s×%(h)s píxeles, y luego la entrada "
                         "de 28×28 tal como la han cambiado los controles",
    "alt.input28.erased": "Preparación del dibujo: su trazo, un recuadro de %(w)s×%(h)s píxeles, y luego la entrada "
                          "de 28×28, casi negra: los controles han borrado el dibujo",
    "alt.maps": "%(layer)s: %(n)s mapas de %(side)s×%(side)s; el más fuerte es el mapa %(top)s",
    "alt.map": "%(layer)s, mapa %(channel)s",
    "alt.units": "fc1: %(active)s de 128 neuronas activas; la más fuerte es la neurona %(top)s",
    "alt.output": "Salida: %(digit)s con probabilidad %(p)s; después %(second)s con %(q)s",
    "alt.kernel": "Filtro %(channel)s de %(layer)s: el trozo de la entrada que miró y su mapa",
    "alt.saliency": "Los píxeles que empujaron el %(digit)s hacia arriba (rojo) y hacia abajo (azul)",
    "alt.example": "Ejemplo: un %(digit)s del conjunto de prueba de MNIST",
    "alt.mistake": "Dígito de prueba %(digit)s que la red leyó como %(guess)s (%(p)s)",

    "alt.filter-top": "Los %(n)s trozos de dígitos de prueba de MNIST que más excitan el filtro %(channel)s de "
                      "%(layer)s",
    "alt.sandbox": "Tu entrada de 28×28 junto al mapa del filtro %(channel)s de conv1 a su tamaño real, "
                   "%(side)s×%(side)s",
    "alt.occlusion": "Dónde tapar el dibujo baja más el %(digit)s (rojo) y dónde lo sube (azul)",
    "layers.title": "Capa a capa",
    "layers.intro": "El viaje de tu dibujo por la red, en el orden en que fluyen los datos. Cada imagen sale de los "
                    "números de este dibujo.",
    "experiment.title": "Experimenta con tu dibujo",
    "own.upload": "Subir mi red (.pt)",
    "own.use-shipped": "Volver a la red de la app",
    "own.compare.shipped": "La red de la app",
    "own.compare.own": "Tu red",

    "learning.title": "Mira cómo aprende",
    "learning.intro": (
        "La red de esta página se entrenó aquí en 15 pasadas por sus dígitos de entrenamiento. Estas son instantáneas "
        "de ese entrenamiento. Al principio, al azar, sus 32 filtros de conv1 son ruido y responde al azar; en unos "
        "cientos de pasos los filtros se convierten en trazos y bordes, y ya lee casi todos los dígitos. Las épocas "
        "siguientes solo la pulen. Mueve el control y mira cómo cambian los filtros, su respuesta a tu dibujo y su "
        "acierto."
    ),
    "learning.step": "Momento del entrenamiento",
    "learning.curve": "Pérdida (loss) del entrenamiento",
    "learning.step-axis": "paso de entrenamiento",
    "learning.start": "El comienzo, al azar",
    "learning.steps": "Tras %(n)s pasos",
    "learning.epoch": "Tras la época %(n)s",
    "learning.accuracy": "%(accuracy)s de acierto en los 10 000 dígitos de prueba de MNIST.",
    "learning.loss": "pérdida",
    "learning.now": "este momento",
    "learning.snapshot": "Instantánea %(i)s de %(last)s del control. El control cuenta las instantáneas guardadas "
                         "del entrenamiento, muchas al principio, cuando más cambia la red; no sus "
                         "%(epochs)s épocas.",
    "alt.filters": "Los 32 filtros de conv1: %(when)s",
    "plot.line": "%(name)s: de %(low)s a %(high)s",
    "gradio.range": "Control deslizante: %(label)s",
    "gradio.number": "Casilla numérica: %(label)s",
    "gradio.reset": "Volver a su valor inicial",
    "gradio.empty": "Todavía no se ha leído nada",
    "gradio.more-tabs": "Más pasos",

    "unsure.title": "¿%(a)s o %(b)s?",
    "unsure.text": "La red duda: %(a)s con %(pa)s, %(b)s con %(pb)s. %(hint)s",
    "unsure.hint": "Fíjate en los trazos en los que se diferencian los dos dígitos.",
    "unsure.1-7": "Fíjate en la parte de arriba: un 7 tiene ahí una barra larga; un 1, como mucho, un trazo corto "
                  "(y un palo cruzado es un 7).",
    "unsure.4-9": "Fíjate en la parte de arriba: un 4 queda abierto; un 9 se cierra en un bucle.",
    "unsure.3-5": "Fíjate en la mitad de arriba: un 5 tiene una barra recta y una esquina; un 3, una curva.",
    "unsure.5-6": "Fíjate en la parte de abajo: un 6 se cierra en un bucle; un 5 queda abierto por la izquierda.",
    "unsure.0-6": "Fíjate en la parte de arriba: un 6 tiene un palo que sale del bucle; un 0 es un anillo cerrado.",
    "unsure.2-7": "Fíjate en la parte de abajo: un 2 acaba en una base plana; un 7 acaba en su palo.",
    "unsure.3-8": "Fíjate en el lado izquierdo: un 8 cierra ahí sus dos bucles; un 3 los deja abiertos.",
    "unsure.8-9": "Fíjate en la parte de abajo: un 8 tiene un segundo bucle; un 9, un palo recto.",
    "unsure.0-8": "Fíjate en el centro: un 8 se estrecha en dos bucles; un 0 es un anillo (un cero tachado sigue "
                  "siendo 0).",
    "unsure.1-4": "Fíjate arriba a la izquierda: un 4 tiene ahí otro trazo; un 1, no.",
    "unsure.0-9": "Fíjate en la parte de abajo: un 9 tiene un palo bajo el bucle; un 0 se cierra.",
    "unsure.7-9": "Fíjate en la parte de arriba: un 9 se cierra en un bucle; un 7 es una barra.",

    "input28.title": "Lo que ve la red: 28×28 píxeles",
    "input28.text": (
        "Tensor: **1 × 28 × 28** (un canal de grises). Sin parámetros: es la preparación, hecha igual que en "
        "MNIST.\n\n"
        "1. Se localiza el trazo y su recuadro (en verde; arriba, su tamaño en píxeles).\n"
        "2. Se escala el recuadro para que su lado mayor mida 20 px, sin deformarlo, y se da a todos los trazos "
        "un mismo grosor, algo mayor que el de MNIST, sea cual sea el pincel.\n"
        "3. Se coloca en un cuadrado negro de 28×28 de modo que su centro de masas (+) quede en el centro. "
        "Después se normaliza cada píxel con la media y la desviación típica de MNIST."
    ),
    "act-conv1.title": "conv1: 32 filtros de 3×3 → 32 mapas de 28×28",
    "act-conv1.text": (
        "Forma: **1 × 28 × 28 → 32 × 28 × 28**. Parámetros: 32 · (1 · 3 · 3) + 32 = **320** "
        "(9 pesos y un sesgo por filtro).\n\n"
        "Cada filtro es una cuadrícula de 3×3 pesos que recorre la imagen. En cada posición multiplica los 9 "
        "píxeles que tiene debajo por sus pesos y lo suma todo: el resultado es alto donde la imagen se parece "
        "al patrón del filtro, por ejemplo un trazo en cierta dirección. Después, ReLU convierte en 0 las sumas "
        "negativas. Con `padding=1` el tamaño se mantiene: ⌊(28 + 2·1 − 3)/1⌋ + 1 = 28.\n\n"
        "A la izquierda de cada mapa está su filtro (azul: pesos negativos; naranja: positivos). Los 32 mapas "
        "comparten una misma escala de color para poder compararlos: el negro es 0 y el color más claro, el "
        "valor más alto de la capa.\n\n"
        "**Haz clic o toca un mapa** (o llega a los mapas con Tab, muévete con las flechas y pulsa Intro) para "
        "ver su filtro calculado con los números de tu dibujo."
    ),
    "act-pool1.title": "pool1: max pooling de 2×2 → 32 mapas de 14×14",
    "act-pool1.text": (
        "Forma: **32 × 28 × 28 → 32 × 14 × 14**. Tamaño: ⌊(28 − 2)/2⌋ + 1 = 14 (ventana de 2×2, paso 2). "
        "Parámetros: **0**.\n\n"
        "Cada bloque de 2×2 de un mapa (tras ReLU) se sustituye por su valor máximo. El mapa se reduce a la "
        "mitad en cada dirección, pero conserva las respuestas más fuertes, y un pequeño desplazamiento del "
        "dibujo apenas lo cambia. Además, la capa siguiente tiene menos que calcular. Escala de color como "
        "antes: el negro es 0."
    ),
    "act-conv2.title": "conv2: 64 filtros de 3×3×32 → 64 mapas de 14×14",
    "act-conv2.text": (
        "Forma: **32 × 14 × 14 → 64 × 14 × 14**. Tamaño: ⌊(14 + 2·1 − 3)/1⌋ + 1 = 14. "
        "Parámetros: 64 · (32 · 3 · 3) + 64 = **18 496**.\n\n"
        "Cada uno de los 64 filtros mira una ventana de 3×3 a través de los 32 mapas de pool1 a la vez "
        "(288 pesos) y lo suma todo. Así combina los trazos sencillos que encontró conv1 en formas mayores: "
        "esquinas, curvas, bucles, extremos de línea. Se muestran tras ReLU, con una escala común para la capa: "
        "el negro es 0.\n\n"
        "**Haz clic o toca un mapa** (o llega a los mapas con Tab, muévete con las flechas y pulsa Intro) para "
        "ver su filtro calculado."
    ),
    "act-pool2.title": "pool2: max pooling de 2×2 → 64 mapas de 7×7",
    "act-pool2.text": (
        "Forma: **64 × 14 × 14 → 64 × 7 × 7**. Tamaño: ⌊(14 − 2)/2⌋ + 1 = 7. Parámetros: **0**.\n\n"
        "Un nuevo pooling reduce cada mapa a la mitad. Cada valor resume ahora un trozo de 10×10 de la entrada "
        "de 28×28: indica si una forma aparece en esa parte del dígito. Estos 7 × 7 × 64 = 3136 números son "
        "todo lo que recibe el clasificador."
    ),
    "act-fc1.title": "fc1: 3136 números → 128 neuronas",
    "act-fc1.text": (
        "Forma: **64 × 7 × 7 → 3136 → 128**. Flatten («aplanar») coloca los 64 mapas uno tras otro en una sola "
        "lista de 7 × 7 × 64 = 3136 números. Parámetros: 3136 · 128 + 128 = **401 536**, el 95 % de los "
        "421 642 de toda la red.\n\n"
        "Cada una de las 128 neuronas está conectada con los 3136 números: pondera las pistas de cada forma en "
        "cada lugar. Tras ReLU, muchas quedan en 0 (negro). Las 5 más activas aparecen enmarcadas en verde, con "
        "sus valores."
    ),
    "act-output.title": "fc2 y softmax: 10 puntuaciones → 10 probabilidades",
    "act-output.text": (
        "Forma: **128 → 10**. Parámetros: 128 · 10 + 10 = **1290**. Toda la red: 320 + 18 496 + 401 536 + "
        "1290 = 421 642.\n\n"
        "fc2 da una puntuación (logit) por dígito: las barras naranjas son positivas y las azules, negativas. "
        "Softmax las convierte en probabilidades: calcula la exponencial de cada una y la divide entre la suma "
        "de todas, así que todas son positivas y suman 1. La red devuelve `log_softmax(x, dim=1)`: x tiene una "
        "fila por cada imagen del lote, y `dim=1` normaliza entre las 10 clases de cada imagen."
    ),

    "kernel.title": "%(layer)s, filtro %(channel)s: la convolución calculada en su píxel más activo, "
                    "fila %(row)s, columna %(col)s (contando desde 0)",
    "kernel.input.conv1": "Su entrada es el dígito de 28×28 normalizado.",
    "kernel.input.conv2": (
        "Su entrada es pool1: 32 mapas de 14×14. El filtro tiene una porción de 3×3 para cada uno de los %(n)s "
        "canales de entrada y suma sobre todos ellos; aquí el canal %(top)s es el que más aporta, así que se "
        "muestra su porción."
    ),
    "kernel.padding": "Las casillas grises quedan fuera de la entrada: son los ceros que añade padding=1.",
    "kernel.weights": "pesos del filtro",
    "kernel.patch": "parche de la entrada",
    "kernel.products": "productos",
    "kernel.sum": "suma de los 9 productos",
    "kernel.in_channel": "canal de entrada",
    "kernel.sum.channels": "suma sobre los %(n)s canales",
    "kernel.partials": "Lo que aporta cada canal de entrada (la suma de sus 9 productos):",
    "kernel.bias": "sesgo",
    "kernel.check": "el valor que muestra el mapa en este píxel",
    "kernel.relu": "ReLU deja pasar un valor positivo y convierte uno negativo en 0.",
    "saliency.caption": (
        "Los píxeles rojos empujaron el «%(digit)s» hacia arriba y los azules hacia abajo (gradiente × entrada, "
        "medido desde el papel en blanco, con los colores escalados al píxel más fuerte de este dibujo)."
    ),
    "softmax.digit": "dígito",
    "softmax.prob": "p = exp / suma",
    "softmax.shift": (
        "Primero se resta a los 10 el logit más grande, %(max)s: el exp de un número grande desborda, y restar el "
        "mismo número a todos los logits no cambia las probabilidades."
    ),
    "softmax.sum": (
        "Suma de las 10 exponenciales: %(sum)s. Cada probabilidad es su exponencial dividida entre esta suma, así "
        "que las 10 suman 1."
    ),
    "softmax.log": (
        "La última columna, log p = (z − max) − log(suma), es lo que devuelve la última línea de la red, "
        "F.log_softmax(x, dim=1)."
    ),
    "softmax.dim": (
        "Por qué dim=1: la salida tiene forma (N, 10), una fila por imagen del lote (dim 0) y una columna por clase "
        "(dim 1); dim=1 normaliza cada fila a lo largo de sus 10 clases, así que cada imagen recibe sus propias "
        "probabilidades, que suman 1."
    ),
    "mistakes.intro": (
        "%(n)s de los %(total)s dígitos de prueba de MNIST que esta red lee mal. Debajo de cada uno: el dígito "
        "real → lo que leyó la red, y con qué seguridad. Pulsa uno para ver por dentro cómo lo lee la red."
    ),
    "closer.title": "Más de cerca",
    "closer.intro": (
        "El filtro, los píxeles y el softmax de abajo también siguen tu último trazo. La última parte muestra "
        "dígitos en los que la red se equivoca: pulsa uno para leerlo en lugar de un dibujo."
    ),
    "kernel-detail.title": "Un filtro en acción",
    "kernel-detail.hint": (
        "Pulsa cualquier mapa de conv1 o conv2 (más arriba) para abrir aquí su filtro; el mapa abierto aquí lleva "
        "un marco verde. Mientras no pulses ninguno, se muestra el filtro de conv1 cuyo mapa es el más fuerte."
    ),
    "saliency.title": "Los píxeles que contaron",
    "softmax-steps.title": "Softmax, paso a paso",
    "mistakes.title": "Dónde se equivoca la red",
    "sandbox.title": "Zona de pruebas: cambia el padding y el stride de conv1",
    "sandbox.intro": (
        "Los 32 filtros entrenados de conv1 recorren tu dibujo con el padding y el stride que elijas. Las demás "
        "capas de la red siguen igual, así que ves qué elecciones siguen encajando en fc1."
    ),
    "sandbox.padding": "Padding p",
    "sandbox.stride": "Stride s",
    "sandbox.pool-stride": "Stride del max pooling",
    "sandbox.channel": "Filtro",
    "sandbox.input": "entrada",
    "sandbox.formula": "Tamaño de cada mapa de conv1, ⌊(28 + 2p − k)/s⌋ + 1 con k = 3:",
    "sandbox.chain": "Las formas que calcula el código de la red, ejecutando de verdad sus capas:",
    "sandbox.fits": (
        "fc1 encaja: el flatten da %(n)s números, justo los que recibe fc1 = Linear(7 · 7 · 64, 128)."
    ),
    "sandbox.mismatch": (
        "fc1 no encaja: se construyó para 7 · 7 · 64 = 3136 números y recibe %(n)s. Este es el error del propio "
        "PyTorch cuando la red llama a fc1:"
    ),
    "sandbox.why": (
        "Una capa lineal tiene un peso por cada número de entrada, así que su tamaño de entrada queda fijo al "
        "construirla. Todo lo anterior a fc1 debe acabar en 64 mapas de 7 × 7; por eso la red mantiene 28 con "
        "padding 1 y stride 1."
    ),
    "what-if.title": "¿Y si lo muevo?",
    "what-if.intro": (
        "Mueve, gira, escala o engrosa tu dibujo y mira cómo lee la red la nueva entrada. No se vuelve a centrar, "
        "así que ves qué hace la red con el dígito justo donde lo pones."
    ),
    "what-if.shift-x": "Mover a la derecha (px)",
    "what-if.shift-y": "Mover hacia abajo (px)",
    "what-if.angle": "Girar (grados, en sentido antihorario)",
    "what-if.scale": "Escala",
    "what-if.thickness": "Trazos más finos o más gruesos (pasos de 1 px)",
    "what-if.reset": "Volver a mi dibujo",
    "what-if.curve-title": "Probabilidad del dígito al mover el dibujo",
    "what-if.shift-axis": "desplazamiento (px)",
    "what-if.probability-axis": "probabilidad",
    "what-if.horizontal": "izquierda–derecha",
    "what-if.vertical": "arriba–abajo",
    "what-if.shift": (
        "Sin moverlo, tu dibujo recibe un %(p0)s para el %(digit)s. Sigue por encima del %(half)s de %(left)s a "
        "%(right)s px en horizontal y de %(up)s a %(down)s px en vertical; movido hasta 8 px, recibe entre un "
        "%(low)s y un %(high)s."
    ),
    "what-if.shift.low": (
        "Sin moverlo, tu dibujo recibe solo un %(p0)s para el %(digit)s; movido hasta 8 px, recibe entre un "
        "%(low)s y un %(high)s."
    ),
    "what-if.why": (
        "Los dos max pooling de 2×2 por sí solos perdonan apenas un píxel; el resto lo aprendió de dígitos "
        "desplazados al entrenar, y se acaba a pocos píxeles. Por eso la app centra cada dibujo por su centro de "
        "masa, como se hizo con los dígitos de MNIST."
    ),
    "occlusion.title": "Tapa una parte",
    "occlusion.patch": "Tamaño del parche (px)",
    "occlusion.text": (
        "Cada lugar muestra cuánto baja (rojo) o sube (azul) la probabilidad del %(digit)s si tapas ahí un "
        "cuadrado de %(patch)s × %(patch)s con papel en blanco. El cuadrado con borde gris oscuro es donde más "
        "pierde al taparlo: del %(before)s al %(after)s."
    ),
    "occlusion.none": "Tapar cualquier parte de este dibujo no baja la probabilidad del %(digit)s.",
    "occlusion.versus": (
        "La oclusión mide qué le pasa a la salida si quitas una región entera: un cambio grande y finito que "
        "incluye cómo colaboran sus píxeles. Gradiente × entrada es una pendiente local, cada píxel por separado y "
        "como si la red fuera lineal, así que los dos mapas pueden no coincidir."
    ),
    "filter-top.title": "¿Qué busca este filtro?",
    "filter-top.intro": (
        "Los lugares de los dígitos de prueba de MNIST que más activan este filtro, uno por dígito, recortados a "
        "los píxeles que el filtro puede ver."
    ),
    "filter-top.layer": "Capa",
    "filter-top.channel": "Filtro",
    "filter-top.caption": (
        "Los %(n)s trozos de los %(total)s dígitos de prueba de MNIST que más activan el filtro %(channel)s de "
        "%(layer)s, de %(high)s a %(low)s tras la ReLU. Cada uno son los %(size)s × %(size)s píxeles de entrada "
        "que ve una unidad del mapa: su campo receptivo."
    ),
    "filter-top.blank": (
        "Son negros porque son papel en blanco: este filtro es más fuerte donde no hay nada de tinta (su sesgo "
        "basta para hacerlo positivo ahí), así que el lugar más fuerte de cada dígito está vacío y todos llegan al "
        "mismo valor."
    ),
    "own.title": "Tu propia red",
    "own.hint": (
        "¿Entrenaste la red en el cuaderno? Sube el cnn.pt que guardó (o un archivo .pth o .safetensors, de 5 MB "
        "como mucho) y tu red leerá los dibujos en lugar de la de la app."
    ),
    "own.model.shipped": "Lee: la red de la app, que acierta el %(accuracy)s de %(n)s dígitos de prueba de MNIST "
                         "(los %(per)s primeros de cada uno, para medir al momento una red subida; con los "
                         "%(total)s, como en «Mira cómo aprende», la cifra cambia un poco).",
    "own.model.own": "Lee: tu red %(name)s, que acierta el %(accuracy)s de %(n)s dígitos de prueba de MNIST (los "
                     "%(per)s primeros de cada uno, para medirla al momento; con los %(total)s la cifra cambia un "
                     "poco).",
    "own.error.extension": "Esto no es un archivo de pesos: sube un archivo .pt, .pth o .safetensors.",
    "own.error.no_file": "No hay ningún archivo de pesos que leer: una carpeta o un dispositivo no es un archivo.",
    "own.error.size": (
        "El archivo es demasiado grande (%(size)s MB); un archivo de pesos puede tener %(limit)s MB como mucho "
        "(el de la app tiene 1,7 MB)."
    ),
    "own.error.empty": "El archivo está vacío: no contiene ningún peso.",
    "own.error.not_weights": "El archivo no se puede leer como los pesos de una red.",
    "own.error.code": (
        "El archivo intenta ejecutar código al abrirse, así que se ha rechazado y no se ha ejecutado nada de él. "
        "Sube solo los pesos, guardados con torch.save(model.state_dict(), \"cnn.pt\")."
    ),
    "own.error.full_model": (
        "El archivo contiene la red entera serializada con pickle, no sus pesos. En el cuaderno, guarda solo los "
        "pesos: torch.save(model.state_dict(), \"cnn.pt\")."
    ),
    "own.error.layers": "Las capas del archivo no son las de esta red. Faltan: %(missing)s. Sobran: %(extra)s.",
    "own.error.shape": "La capa %(layer)s tiene la forma %(got)s en lugar de %(want)s.",
    "own.error.flatten": (
        "fc1 tiene %(got)s entradas en lugar de %(want)s: ¿construiste la red con %(change)s? Así llegan a fc1 "
        "mapas de %(side)s × %(side)s × 64; la red de esta app usa padding=1 y stride=1, que dan 7 × 7 × 64."
    ),
    "own.error.inputs": (
        "fc1 tiene %(got)s entradas en lugar de %(want)s: las capas anteriores dan mapas de otro tamaño."
    ),
    "own.error.kernel": "%(layer)s tiene filtros de %(got)s en lugar de 3 × 3: ¿usaste kernel_size=%(k)s?",
    "own.error.channels": "conv1 recibe imágenes de %(got)s canales en lugar de 1: los dígitos de MNIST son grises.",
    "own.error.filters": (
        "%(layer)s tiene %(got)s filtros en lugar de %(want)s: la red se construyó con otro número de filtros."
    ),
    "own.error.classes": "fc2 da %(got)s salidas en lugar de 10: la red tiene que distinguir los 10 dígitos.",
    "own.error.units": "fc1 tiene %(got)s unidades en lugar de %(want)s: la red se construyó con otro tamaño de fc1.",
    "own.error.dtype": "La capa %(layer)s contiene valores %(dtype)s en lugar de números de coma flotante.",
    "own.error.nan": (
        "La capa %(layer)s contiene valores NaN o infinitos: el entrenamiento divergió. Vuelve a entrenar, quizá "
        "con una tasa de aprendizaje más pequeña."
    ),
    # La entrada de la clase (#class-link, web/class_link.py)
    "class-link.title": "Abre esta página en tu móvil",
    "class-link.text": "La clase abre esta página en esta dirección, o escaneando el código con la cámara de un móvil.",
    "class-link.alt": "Código QR de la dirección de esta página, %(url)s",
    "class-link.local": (
        "Este ordenador abrió la página en su propia dirección, a la que ningún otro ordenador llega. Sirve la página "
        "en la red del aula con %(command)s; así la clase la abre en %(url)s (el código de arriba). Si un móvil sigue "
        "sin llegar, puede que el cortafuegos de este ordenador bloquee el puerto."
    ),
    "class-link.local_none": (
        "Esta es la dirección propia de este ordenador: ningún otro llega a ella, así que no hay código que escanear. "
        "Sirve la página en la red del aula con %(command)s y ábrela en la dirección de este ordenador en la red (la "
        "página no ha encontrado ninguna: ¿está conectado el ordenador?)."
    ),
    "class-link.unknown": (
        "No se ha podido leer la dirección de la página en la petición: da a la clase la de la barra de direcciones "
        "del navegador."
    ),
}
