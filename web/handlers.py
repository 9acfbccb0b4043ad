"""What each event of the page does with what a browser sent: check it (inputs.py), read the digit with the
session's network, and return the outputs it changes, by element id (views.py). app.py only wires these up.
"""
import contextlib
import functools
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import gradio as gr
import torch

from mnist_cnn import inputs
from mnist_cnn.checkpoint import WEIGHTS
from mnist_cnn.data import denormalise, load_mnist
from mnist_cnn.filter_top import StaleFilterTopError, load_filter_top
from mnist_cnn.mistakes import StaleMistakesError, load_mistakes
from mnist_cnn.snapshots import StaleSnapshotsError, load_loss_curve, load_snapshots
from mnist_cnn.errors import BlankImageError, InputError
from mnist_cnn.experiments import moved
from mnist_cnn.model import Net
from mnist_cnn.own_model import NETWORK_IDLE, accuracy, accuracy_digits, load_own_model
from mnist_cnn.batch import run_batch
from mnist_cnn.pipeline import Reading, confidences, read_digit, read_mnist, read_prepared
from mnist_cnn.preprocess import Prepared
from mnist_cnn.questions import check

from . import render, views
from .gradio_internals import upload_folder
from .i18n import bilingual, language, sentence
from .batch_view import batch_html
from .class_link import address, class_link_html
from .question_view import answer_html, question_html
from .registry import BY_ID, FRESH, LESSON, NEUTRAL, PARTS, SANDBOX, STEPS, WHAT_IF, fresh
from .render_detail import mistakes_intro
from .widgets import READ

STEP_IDS = tuple(step.id for step in STEPS)
SANDBOXES = {"padding": "sandbox", "stride": "sandbox-strided"}  # the sandbox's picture in each of its two steps
STEP_VIEWS = {step: tuple(p.id for p in PARTS if p.step == step and p.id in FRESH and p.kind in ("picture", "plot")
                          and not p.id.startswith("question-")) for step in STEP_IDS}  # what a step's tab fills


def shown(step) -> str | None:
    """The step the session shows, as its state holds it (None, for a client that never sent one: every step)."""
    return step if step in STEP_IDS else None
EXAMPLE_DIGITS = range(10)  # one real MNIST test digit of each class
PEN_UP_FIRST = 0.5  # s: at most this long live readings and experiments wait for the pen-ups being read
MAX_COUNT = 2 ** 53  # the pad numbers its sends in JavaScript, whose whole numbers are exact up to here


@dataclass
class Pen:
    """A session's pad: the number of its latest pen-up the server has seen, so that a live reading of a part of the
    drawing, sent before that pen-up, is dropped instead of overwriting the reading of the whole."""
    whole: int = 0


class PenUps:
    """The pen-up readings the server is making now, for every session. A pen-up's reading is what a visitor waits
    for, and Python runs one thread at a time: so live readings, and the experiments that follow a reading, wait a
    little for the pen-ups being read before they start."""

    def __init__(self) -> None:
        self.count, self.changed = 0, threading.Condition()

    @contextlib.contextmanager
    def reading(self):
        """Around a pen-up's reading."""
        with self.changed:
            self.count += 1
        try:
            yield
        finally:
            with self.changed:
                self.count -= 1
                self.changed.notify_all()

    def wait(self, seconds: float) -> None:
        """Until no pen-up is being read, or seconds have passed."""
        with self.changed:
            self.changed.wait_for(lambda: self.count == 0, seconds)


@dataclass(frozen=True)
class Network:
    """A visitor's own network, kept in their session until it ends: its Net is shared by the sessions that uploaded
    the same file (own_model.load_own_model keeps one while any of them holds it), its name and accuracy are theirs."""
    model: Net
    name: str
    accuracy: float


def optional(load: Callable, stale: type[Exception], instead, what: str):
    """What load() gives, or instead where its file is not current: the app still works, without that part."""
    try:
        return load()
    except stale as e:
        print(f"No {what}: {e}", file=sys.stderr)
        return instead


def read_as_drawn(model: Net, image: torch.Tensor) -> Reading:
    """An MNIST digit (uint8 28×28) read as a drawing is: through the app's preprocessing."""
    return read_digit(model, image.numpy())


def moved_prepared(original: Prepared, x: torch.Tensor) -> Prepared:
    """The original drawing's steps with a moved input x (1, 1, 28, 28) as what the network sees."""
    centred = (denormalise(x[0, 0]).clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    return replace(original, tensor=x, centred28=centred)


@dataclass
class Page:
    """What every handler needs: the shipped network and the data the page shows, loaded once at start."""
    model: Net
    images: torch.Tensor  # uint8 (10000, 28, 28): the MNIST test split
    labels: torch.Tensor
    mistakes: list[dict]
    examples: list[int]  # indices into images, one per digit
    upload_folder: str
    filter_top: dict | None  # the test patches that excite each filter most (filter_top.py), if they are current
    accuracy_digits: tuple  # (normalised images, labels) that a visitor's network is measured on
    shipped_accuracy: float  # the shipped network's accuracy on them
    snapshots: list  # the training run's snapshots (snapshots.py), if they are current; else empty
    loss_curve: list  # [(step, loss)] of that run
    pen_ups: PenUps = field(default_factory=PenUps)
    share_url: str | None = None  # Gradio's public link, once serving.serve has one

    @classmethod
    def load(cls, model: Net, weights: Path = WEIGHTS) -> "Page":
        """The shipped network with the data the page shows: the MNIST test digits, the misread ones, the top patches
        and the training run; each left out (with a line on stderr) where its file is not current."""
        images, labels = load_mnist("test")
        mistakes = optional(lambda: load_mistakes(weights=weights), StaleMistakesError, [], "gallery of misread digits")
        top = optional(lambda: load_filter_top(weights=weights), StaleFilterTopError, None, "top patches of the filters")
        snapshots, curve = optional(lambda: (load_snapshots(weights=weights), load_loss_curve(weights=weights)),
                                    StaleSnapshotsError, ([], []), "training snapshots")
        examples = [int((labels == d).nonzero()[0]) for d in EXAMPLE_DIGITS]
        digits = accuracy_digits(images, labels)
        return cls(model, images, labels, mistakes, examples, upload_folder(), top, digits, accuracy(model, digits),
                   snapshots, curve)

    # What a fresh page shows (registry.Part options name these): made once, as Clear sends it again

    @functools.cached_property
    def example_digits(self) -> str:
        return views.examples_html(self.images[self.examples], self.labels[self.examples])

    @functools.cached_property
    def mistake_digits(self) -> str:
        return views.mistakes_html(self.mistakes, self.images)

    @functools.cached_property
    def mistakes_intro(self) -> str:
        return bilingual(mistakes_intro, len(self.mistakes), len(self.labels))

    @functools.cached_property
    def shipped_name(self) -> str:
        return bilingual(lambda lang: views.model_name(None, lang, self.shipped_accuracy))

    @property
    def last_moment(self) -> int:
        """The training run's last snapshot: the shipped network."""
        return max(len(self.snapshots) - 1, 0)

    @property
    def moments(self) -> tuple[int, int, int]:
        """The training slider's (lowest, highest, step); highest ≥ 1: Gradio refuses a slider from 0 to 0."""
        return 0, max(self.last_moment, 1), 1

    @functools.cached_property
    def first_learning(self) -> str:
        return bilingual(lambda lang: self.learning(self.last_moment, None, lang).get("learning", ""))

    @functools.cached_property
    def first_loss_curve(self):
        return bilingual(lambda lang: self.learning(self.last_moment, None, lang).get("loss-curve", ""))

    network_idle = NETWORK_IDLE  # seconds a visitor's network stays in their session unused
    new_pen = Pen()  # each session gets its own copy (gr.State copies its value)

    def net(self, network: Network | None) -> Net:
        """The network that reads for this session: the visitor's own, or the shipped one."""
        return network.model if network is not None else self.model

    def view(self, reading: Reading, chosen, network, lang: str, step: str | None) -> dict:
        """What a reading shows: the prediction, and the layers' panels and close-ups if their step is shown (step
        None: every step, as for a client other than the page)."""
        if step not in (None, "model"):  # nobody sees the panels: they are made when their step opens
            return {"prediction": confidences(reading), "unsure": views.unsure_html(reading.probs, lang), "status": ""}
        chosen = chosen or ("conv1", views.strongest(reading.activations, "conv1_relu"))
        return {**views.reading_view(self.net(network), reading, chosen, lang), **self.top_patches(chosen, lang)}

    @staticmethod
    def live_view(reading: Reading, lang: str, step: str | None) -> dict:
        """What a reading made while the pen moves shows: the prediction, and the 28×28 input if its step is shown;
        the panels wait for the pen-up (a reading of every panel is ~200 kB of pictures, made for each stroke)."""
        out = {"prediction": confidences(reading), "unsure": views.unsure_html(reading.probs, lang), "status": ""}
        if step in (None, "model"):
            out["input28"] = views.panel_html("input28", render.steps_picture(reading.prepared), reading, lang)
        return out

    def show(self, reading: Reading, chosen, network, lang: str, original: Prepared | None = None,
             step: str | None = None) -> dict:
        """Every output of a reading for the step shown; the reading (and the unmoved drawing) kept in the session."""
        out = {**self.view(reading, chosen, network, lang, step), "current": reading.prepared,
               "original": original or reading.prepared}
        if step in (None, "own"):
            out.update(self.compare(reading.prepared, network, lang))
        return out if original is not None else {**out, **NEUTRAL}  # a new drawing puts the sliders back

    def read(self, source, chosen, network, lang: str, step: str | None = None) -> dict:
        """Read an image the visitor sent; an input error keeps the page as it was and says what is wrong."""
        try:
            return self.show(read_digit(self.net(network), source), chosen, network, lang, step=step)
        except BlankImageError as e:  # never a confident answer to a blank page
            return {**views.blank_view(e, lang), "current": None, "original": None}
        except InputError as e:
            return {"status": views.status(e, lang)}

    def sketch(self, n, pad, chosen, network, pen: Pen, lang, step=None) -> dict:
        """The drawing so far, while the pen moves -> the prediction and the 28×28 input (the rest waits for the
        pen-up); nothing if the pen has gone up since it was sent, or for a drawing not yet readable."""
        try:
            count = inputs.whole(n, 1, MAX_COUNT)
            png = inputs.drawing(pad)
            self.pen_ups.wait(PEN_UP_FIRST)  # the pen-ups being read go first
            if count <= pen.whole or png is None:
                return {}
            reading = read_digit(self.net(network), png)
        except ValueError:  # a bad value or too little ink yet (InputErrors too): the pen-up's reading will say so
            return {}
        out = self.live_view(reading, language(lang), shown(step))
        # checked again: the pen may have gone up while this was read, and its reading must not be overwritten
        return {} if count <= pen.whole else {**out, "pad": READ}

    def pen_up(self, n, pad, chosen, network, pen: Pen, lang, step=None) -> dict:
        """The pad's drawing at pen-up or Undo, read as drawn() reads it; its count (if the page sent one) makes the
        live readings sent before it stale."""
        with contextlib.suppress(ValueError):  # no count (a client other than the page): read all the same
            pen.whole = max(pen.whole, inputs.whole(n, 1, MAX_COUNT))
        with self.pen_ups.reading():
            return self.drawn(pad, chosen, network, lang, step)

    def drawn(self, pad, chosen, network, lang, step=None) -> dict:
        """The pad's drawing -> every output; the pad gets READ back, so the session does not keep the drawing."""
        lang = language(lang)
        try:
            png = inputs.drawing(pad)
        except InputError as e:
            return {"status": views.status(e, lang), "pad": READ}
        if png is None:  # the pad was emptied (Undo of the last stroke)
            return {**views.blank_view(), "current": None, "original": None}
        return {**self.read(png, chosen, network, lang, shown(step)), "pad": READ}

    def uploaded(self, upload, chosen, network, lang, step=None) -> dict:
        """An uploaded file -> every output, the pad emptied so that the page shows one input."""
        lang = language(lang)
        try:
            path = inputs.uploaded(upload, self.upload_folder)
        except InputError as e:
            return {"status": views.status(e, lang)}
        out = self.read(path, chosen, network, lang, shown(step))
        return {**out, "pad": ""} if "current" in out else out

    def digit(self, index, chosen, network, lang, reader, images, step=None) -> dict:
        """A click on one of a row of test digits -> every output for it, the pad emptied; a bad index: nothing."""
        try:
            i = inputs.whole(index, 0, len(images) - 1)
        except ValueError:
            return {}
        reading = reader(self.net(network), self.images[images[i]])
        return {**self.show(reading, chosen, network, language(lang), step=shown(step)), "pad": ""}

    def example(self, index, chosen, network, lang, step=None) -> dict:
        """A click on an example digit: read as a drawing is."""
        return self.digit(index, chosen, network, lang, read_as_drawn, self.examples, step)

    def mistake(self, index, chosen, network, lang, step=None) -> dict:
        """A click on a misread test digit: read as the evaluation read it."""
        return self.digit(index, chosen, network, lang, read_mnist, [m["index"] for m in self.mistakes], step)

    def pick(self, index, current: Prepared | None, network, lang, panel: str) -> dict:
        """A map picked in a panel -> its filter worked out, the choice kept, both panels of maps with it framed."""
        try:
            channel = inputs.whole(index, 0, render.GRIDS[panel].channels - 1)
        except ValueError:
            return {}
        if current is None:
            return {}
        chosen, lang = (render.MAP_LAYERS[panel], channel), language(lang)
        return {**views.picked_view(self.net(network), current.tensor, chosen, lang), "chosen": chosen,
                **self.top_patches(chosen, lang)}

    def relabel(self, current: Prepared | None, original, chosen, network, lang, step=None) -> dict:
        """The page's language changed: the reading on the page again, its numbers and alt texts in that language."""
        if current is None:
            return {}
        reading = read_prepared(self.net(network), current)
        out = self.show(reading, chosen, network, language(lang), original, shown(step))
        return {k: v for k, v in out.items() if k not in NEUTRAL}  # the sliders stay where they are

    def clear(self) -> dict:
        """Clear (or Start over): the page as a fresh page shows it, for the next learner at the same computer."""
        folded = {key: gr.Accordion(open=False) for key in FRESH if BY_ID[key].kind == "answer"}
        return {**{key: fresh(BY_ID[key], self) for key in FRESH}, **folded, **views.blank_view(),
                LESSON: gr.Tabs(selected=STEP_IDS[0])}

    def predict(self, path) -> dict[str, float]:
        """The /predict endpoint: an uploaded image file -> the 10 class confidences of the shipped network."""
        try:
            return confidences(read_digit(self.model, inputs.uploaded(path, self.upload_folder)))
        except InputError as e:  # the sender's mistake: one sentence, no traceback in the log
            raise gr.Error(sentence(e), print_exception=False) from None

    # Experiments on the drawing: what follows each reading, and the controls

    def top_patches(self, chosen: tuple[str, int], lang: str) -> dict:
        """The test patches that excite the chosen filter most, if the shipped ones are current."""
        if self.filter_top is None:
            return {}
        return {"filter-top": views.filter_top_view(self.filter_top, self.images, *chosen, lang)}

    def experiments(self, current: Prepared | None, chosen, sandbox_padding, sandbox_stride, sandbox_pool_stride,
                    batch_size, batch_dim, learning_step, network, lang, step=None) -> dict:
        """After each reading: what the step shown makes of it (step None: every step's, the layers' panels aside),
        the sandbox, the batch, the shift curve and occlusion map, or the training moment."""
        self.pen_ups.wait(PEN_UP_FIRST)
        step = shown(step)
        # the layers' panels and the comparison of networks come with the reading itself (show)
        steps = [s for s in (STEP_IDS if step is None else (step,)) if s not in ("model", "own")]
        out = {}
        for each in steps:
            out.update(self.step_view(each, current, chosen, sandbox_padding, sandbox_stride, sandbox_pool_stride,
                                      batch_size, batch_dim, learning_step, network, lang))
        return out

    def opened(self, current: Prepared | None, chosen, sandbox_padding, sandbox_stride, sandbox_pool_stride,
               batch_size, batch_dim, learning_step, network, lang, step: str) -> dict:
        """A step's tab opened: it is the session's step now, and its panels are made for the drawing."""
        return {"step": step, **self.step_view(step, current, chosen, sandbox_padding, sandbox_stride,
                                               sandbox_pool_stride, batch_size, batch_dim, learning_step, network,
                                               lang)}

    def step_view(self, step: str, current: Prepared | None, chosen, sandbox_padding, sandbox_stride,
                  sandbox_pool_stride, batch_size, batch_dim, learning_step, network, lang) -> dict:
        """The panels of one step for the drawing (emptied without one)."""
        lang, model = language(lang), self.net(network)
        if step == "learning":
            return self.learning(learning_step, current, lang)
        if current is None:
            return {key: fresh(BY_ID[key], self) for key in STEP_VIEWS.get(step, ())}
        if step == "model":
            return self.view(read_prepared(model, current), chosen, network, lang, step)
        if step in SANDBOXES:
            return self.sandbox(current, sandbox_padding, sandbox_stride, sandbox_pool_stride, network, lang, step)
        if step == "dim1":
            return self.batch(current, batch_size, batch_dim, network, lang)
        if step == "experiments":
            return views.experiments_view(model, current, lang)
        if step == "own":
            return self.compare(current, network, lang)
        return {}

    def batch(self, current: Prepared | None, batch_size, batch_dim, network, lang) -> dict:
        """dim=1 on a batch: the drawing as its first row, MNIST test digits after it, softmax along the dim chosen."""
        if current is None:
            return {"batch": ""}
        lang = language(lang)
        try:
            batch = run_batch(self.net(network), current.tensor, self.images, self.labels, batch_size, batch_dim)
        except InputError as e:
            return {"status": views.status(e, lang)}
        return {"batch": batch_html(batch, lang)}

    def answer(self, index, current: Prepared | None, network, lang, question: str) -> dict:
        """A choice picked for a step's question: right or wrong and why, from the network on the drawing; without a
        drawing, the question again with a sentence asking for one."""
        lang, key = language(lang), f"question-{question}"
        try:
            answer = check(self.net(network), current.tensor if current else None, question, index, self.images,
                           self.labels)
        except InputError as e:
            if e.key != "error.blank":  # a choice the page never offers: nothing changes
                return {}
            return {key: question_html(question, lang) + f'<p role="status">{views.status(e, lang)}</p>'}
        return {key: answer_html(answer, lang), f"{question}-intro": gr.Accordion(open=True)}  # the answer shown

    def loaded(self, request: gr.Request, lang) -> dict:
        """A browser opened the page: the step its address asks for (?step=<id>, else the first), and for the teacher
        the page's address as this browser reached it, with its QR code for the class."""
        query, headers = getattr(request, "query_params", None) or {}, getattr(request, "headers", None) or {}
        step = shown(query.get("step")) or STEP_IDS[0]
        link = address(headers, self.share_url, step=step if step != STEP_IDS[0] else None, steps=STEP_IDS)
        # in both languages (the page's CSS shows its own), so that a switch of language needs no new request
        return {"class-link": bilingual(class_link_html, link), LESSON: gr.Tabs(selected=step), "step": step}

    def sandbox(self, current: Prepared | None, sandbox_padding, sandbox_stride, sandbox_pool_stride, network,
                lang, step=None) -> dict:
        """The seed's formula, live: conv1 with the chosen padding and stride, and the shapes that follow."""
        if current is None:
            return {}
        try:
            padding, stride, pool = (inputs.one_of(v, choices)
                                     for v, (choices, _) in zip((sandbox_padding, sandbox_stride, sandbox_pool_stride),
                                                                SANDBOX.values()))
        except ValueError:
            return {}
        model, x = self.net(network), current.tensor
        channel = views.strongest({"conv1_relu": model.conv1(x)[0].detach()}, "conv1_relu")
        view = views.sandbox_view(model, x, padding, stride, pool, channel, language(lang))
        return {SANDBOXES[s]: view for s in ([step] if shown(step) in SANDBOXES else SANDBOXES)}

    def what_if(self, original: Prepared | None, shift_x, shift_y, angle, scale, thickness, chosen, network,
                lang, step=None) -> dict:
        """The what-if sliders: the drawing moved, turned, scaled or made bolder, read again with every panel."""
        if original is None:
            return {}
        try:
            x = moved(original.tensor, shift_x, shift_y, angle, scale, thickness)  # which checks each value
        except ValueError:
            return {}
        prepared = moved_prepared(original, x)
        return self.show(read_prepared(self.net(network), prepared), chosen, network, language(lang), original,
                         shown(step))

    def reset(self, original: Prepared | None, chosen, network, lang, step=None) -> dict:
        """Back to the drawing as it was: the sliders at rest, the unmoved drawing read again."""
        return {**self.what_if(original, *NEUTRAL.values(), chosen, network, lang, step), **NEUTRAL}

    def learning(self, learning_step, current: Prepared | None, lang) -> dict:
        """A moment of the training run that made the shipped network, and what it made of the current drawing."""
        if not self.snapshots:
            return {}
        try:
            index = inputs.whole(learning_step, 0, len(self.snapshots) - 1)
        except ValueError:
            return {}
        return views.learning_view(self.snapshots, index, current, self.loss_curve, language(lang))

    # A visitor's own network

    def compare(self, prepared: Prepared, network: Network | None, lang: str) -> dict:
        """The top 3 of the shipped network and of the visitor's, side by side, when a visitor's network reads."""
        if network is None:
            return {"compare": ""}
        return {"compare": views.compare_view(read_prepared(self.model, prepared), read_prepared(network.model,
                                                                                                 prepared), lang)}

    def own(self, own_upload, current, original, chosen, lang, step=None) -> dict:
        """A visitor's state_dict -> their network reads for this session; a bad file: one sentence, and the
        session keeps the network it had."""
        lang = language(lang)
        try:
            path = inputs.uploaded(own_upload, self.upload_folder)
            model = load_own_model(path, path.name)
        except InputError as e:
            return {"model-status": views.status(e, lang)}
        network = Network(model, path.name, accuracy(model, self.accuracy_digits))
        out = {"network": network, "model-status": "", "model-name": views.model_name(network, lang)}
        if current is not None:
            out.update(self.show(read_prepared(model, current), chosen, network, lang, original, shown(step)))
        return out

    def shipped(self, current, original, chosen, lang, step=None) -> dict:
        """Back to the shipped network for this session."""
        lang = language(lang)
        out = {"network": None, "model-status": "", "model-name": views.model_name(None, lang, self.shipped_accuracy),
               "compare": ""}
        if current is not None:
            out.update(self.show(read_prepared(self.model, current), chosen, None, lang, original, shown(step)))
        return out
