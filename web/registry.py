"""The page as data: the lesson's steps in the seed's order, the parts each one shows, and the events that fill them.
app.py lays the page out and wires it by iterating over these; a new panel is one entry here, its view and its texts.
"""
from dataclasses import dataclass, field

from mnist_cnn.batch import DEFAULT_DIM, DEFAULT_SIZE, DIMS, MAX_BATCH
from mnist_cnn.questions import QUESTIONS
from mnist_cnn.experiments import MAX_ANGLE, MAX_SHIFT, MAX_THICKNESS, PADDINGS, POOL_STRIDES, SCALES, STRIDES

from .i18n import TEXTS, bilingual, language
from .question_view import question_html
from .render import GRIDS, MAP_LAYERS
from .views import READING  # every output one reading fills


@dataclass(frozen=True)
class Step:
    """One view of the lesson: its id (as in ?step=<id>), the text key of its heading, and its tab's (step.<id>). Its
    introduction is a part, so that a question can come before it."""
    id: str
    title: str
    numbered: bool = True  # its tab says its place in the lesson; the teacher's does not
    alignment: str = "left"  # where its tab sits in the lesson's tab bar

    @property
    def tab(self) -> str:
        return f"step.{self.id}"


# The seed's four ideas in its order, then what the page adds to it
STEPS = (Step("model", "layers.title"), Step("padding", "padding.title"), Step("stride", "stride.title"),
         Step("dim1", "dim1.title"), Step("experiments", "experiment.title"), Step("own", "own.title"),
         Step("learning", "learning.title"), Step("class", "class-link.title", numbered=False, alignment="right"))
def numbered(number: int, step: Step) -> str:
    """What a step's tab writes before its name: its place in the lesson ("2. "), if it has one."""
    return f"{number}. " if step.numbered else ""


def tab_names(lang: str) -> list[str]:
    """The lesson's tabs' names in a language, as the page writes them."""
    return [numbered(n, step) + TEXTS[language(lang)][step.tab] for n, step in enumerate(STEPS, 1)]


PAD = "pad"  # not a step: the pad and the prediction, in view whatever the step
LESSON = "lesson"  # the steps' tabs


@dataclass(frozen=True)
class Loaded:
    """An option known only once the page is loaded: that attribute of handlers.Page."""
    name: str


@dataclass(frozen=True)
class Part:
    """One thing on the page. Its id is its element id and, as name() writes it, its value's name in handlers.

    kind says what app.py builds: "picture" (HTML a handler fills; pickable ones fire select), "drawing" (the pad),
    "label", "sentence" (a status line), "text" (its title and text only), "answer" (its text, folded under its
    label until its step's question is answered), "button", "uploader", "slider", "radio", "checkbox", "state".
    """
    id: str
    step: str  # a Step's id, or PAD
    kind: str = "picture"
    side: int = 0  # the column of its step: 0 on the left (first, on a phone), 1 on the right
    title: str | None = None  # text key of its heading, above it
    text: str | None = None  # text key of its explanation, under it (for "text": the text itself)
    label: str | None = None  # text key of a control's label
    row: str | None = None  # consecutive parts with the same row sit side by side
    shown: str | None = None  # the page's data it needs (an attribute of handlers.Page); without it, hidden
    options: dict = field(default_factory=dict)  # the kind's own arguments (limits, choices, file types...)

def panel(id: str, step: str, side: int = 0, **more) -> Part:
    """A picture with its title above and its explanation under it, keyed by its id."""
    return Part(id, step, side=side, title=f"{id}.title", text=f"{id}.text", **more)


# The what-if sliders: (lowest, highest, step), and where they rest
WHAT_IF = {"shift-x": (-MAX_SHIFT, MAX_SHIFT, 1), "shift-y": (-MAX_SHIFT, MAX_SHIFT, 1),
           "angle": (-MAX_ANGLE, MAX_ANGLE, 5), "scale": (*SCALES, 0.05),
           "thickness": (-MAX_THICKNESS, MAX_THICKNESS, 1)}
NEUTRAL = {"shift-x": 0, "shift-y": 0, "angle": 0, "scale": 1, "thickness": 0}
# The sandbox's controls: (choices, the seed's own value)
SANDBOX = {"sandbox-padding": (PADDINGS, 1), "sandbox-stride": (STRIDES, 1), "sandbox-pool-stride": (POOL_STRIDES, 2)}
SESSION_TTL = 3600  # seconds a session's own state (its reading, its chosen filter) lives after its last use


def question(step: str, intro: str) -> tuple[Part, Part]:
    """The question before a seed step's answer (its choices are buttons that fire select with their index), then
    the step's introduction, which answers it: folded until the question is answered."""
    return (Part(f"question-{step}", step, title="question.title",
                 options={"pickable": True, "value": bilingual(question_html, step)}),
            Part(f"{step}-intro", step, "answer", label="question.reveal", text=intro))


def radio(key: str, step: str, **more) -> Part:
    """One of the sandbox's controls."""
    choices, seed = SANDBOX[key]
    return Part(key, step, "radio", label=key.replace("-", ".", 1), options={"choices": choices, "value": seed},
                **more)


PARTS = (
    # Above the steps: the pad on the left, what the network read on the right
    Part("draw-title", PAD, "text", title="draw.label"),
    Part("pad", PAD, "drawing"),  # its element id is "draw" (widgets.drawing_pad)
    Part("undo", PAD, "button", label="undo", row="tools"),
    Part("clear", PAD, "button", label="clear", row="tools", options={"variant": "stop"}),
    Part("upload", PAD, "uploader", label="upload.label", row="tools", ),
    Part("status", PAD, "sentence"),
    Part("prediction", PAD, "label", label="prediction.label"),  # 3 rows shown, or all 10 (serving.CSS)
    Part("unsure", PAD),
    Part("all-ten", PAD, "checkbox", label="prediction.all", options={"value": False}),
    Part("hint", PAD, "text", text="draw.hint"),
    # 1. The layers, in the order the data flows; the close-ups beside them
    Part("intro", "model", "text", text="app.intro"),  # here, not above the pad: the pad and prediction fit a projector
    *question("model", "layers.intro"),
    panel("input28", "model"),
    Part("examples", "model", title="examples.label", options={"pickable": True, "value": Loaded("example_digits")}),
    *(panel(key, "model", options={"pickable": key in MAP_LAYERS}) for key in (*GRIDS, "act-fc1", "act-output")),
    Part("closer", "model", "text", side=1, title="closer.title", text="closer.intro"),
    Part("kernel-hint", "model", "text", side=1, title="kernel-detail.title", text="kernel-detail.hint"),
    Part("kernel-detail", "model", side=1),
    Part("filter-intro", "model", "text", side=1, title="filter-top.title", text="filter-top.intro",
         shown="filter_top"),
    Part("filter-top", "model", side=1, shown="filter_top"),
    Part("saliency", "model", side=1, title="saliency.title"),
    Part("softmax-steps", "model", side=1, title="softmax-steps.title"),
    Part("mistakes-intro", "model", side=1, title="mistakes.title", shown="mistakes",
         options={"value": Loaded("mistakes_intro")}),
    Part("mistakes", "model", side=1, shown="mistakes", options={"pickable": True, "value": Loaded("mistake_digits")}),
    # 2. and 3. Padding and stride, live in the sandbox (its picture under the stride's controls, just below)
    *question("padding", "explain.padding"),
    Part("sandbox-intro", "padding", "text", side=1, title="sandbox.title", text="sandbox.intro"),
    radio("sandbox-padding", "padding", side=1),
    Part("sandbox", "padding", side=1),
    *question("stride", "explain.stride"),
    radio("sandbox-stride", "stride", side=1, row="strides"),
    radio("sandbox-pool-stride", "stride", side=1, row="strides"),
    Part("sandbox-strided", "stride", side=1),
    # 4. dim=1, on a batch whose first image is the drawing
    *question("dim1", "explain.dim1"),
    Part("batch-size", "dim1", "slider", side=1, label="batch-size.label", row="batch",
         options={"limits": (1, MAX_BATCH, 1), "value": DEFAULT_SIZE}),
    Part("batch-dim", "dim1", "radio", side=1, label="batch-dim.label", row="batch",
         options={"choices": DIMS, "value": DEFAULT_DIM}),
    panel("batch", "dim1", side=1),
    # 5. Experiments on the drawing
    Part("what-if-intro", "experiments", "text", title="what-if.title", text="what-if.intro"),
    *(Part(key, "experiments", "slider", label=f"what-if.{key}", options={"limits": WHAT_IF[key],
                                                                          "value": NEUTRAL[key]}) for key in WHAT_IF),
    Part("reset", "experiments", "button", label="what-if.reset"),
    Part("shift-curve", "experiments", side=1),
    Part("shift-text", "experiments", side=1),
    Part("occlusion", "experiments", side=1, title="occlusion.title"),
    # 6. The visitor's own network
    Part("own-intro", "own", "text", text="own.hint"),
    Part("own-upload", "own", "uploader", label="own.upload", row="own",
         options={"min_width": 120}),
    Part("use-shipped", "own", "button", label="own.use-shipped", row="own", options={"min_width": 120}),
    Part("model-name", "own", options={"value": Loaded("shipped_name")}),
    Part("model-status", "own", "sentence"),
    Part("compare", "own"),
    # 7. Watching it learn
    Part("learning-intro", "learning", "text", text="learning.intro"),
    Part("learning-step", "learning", "slider", label="learning.step", shown="snapshots",
         options={"limits": Loaded("moments"), "value": Loaded("last_moment")}),
    Part("learning", "learning", shown="snapshots", options={"value": Loaded("first_learning")}),
    Part("loss-curve", "learning", side=1, shown="snapshots", options={"value": Loaded("first_loss_curve")}),
    # For the teacher: the page's address and its QR code, for the class
    Part("class-link", "class"),
    # The session's own things, gone with it; never sent to the browser
    *(Part(key, PAD, "state", options={"ttl": SESSION_TTL}) for key in ("current", "original", "chosen")),
    Part("step", PAD, "state", options={"value": STEPS[0].id, "ttl": SESSION_TTL}),  # the step shown
    Part("network", PAD, "state", options={"ttl": Loaded("network_idle")}),
    Part("pen", PAD, "state", options={"value": Loaded("new_pen")}),  # changed in place: it lives as long as the session
)
BY_ID = {part.id: part for part in PARTS}
assert len(BY_ID) == len(PARTS), "two parts with one id"
LANG = "lang"  # the language switch, in the page's top row: its value is the page's language
WHOLE = "whole-page"  # the page itself, whose "load" fires when a browser opens it
def fresh(part: Part, page) -> object:
    """What a fresh page shows for a part (page: handlers.Page, for the values known once it is loaded)."""
    value = part.options.get("value")
    if isinstance(value, Loaded):
        return getattr(page, value.name)
    if value is None and part.kind in ("picture", "sentence", "drawing"):
        return ""
    return value

# What events fill: a reading fills these, and may change those it keeps; the experiments after it fill FOLLOW
KEPT = ("current", "original", "filter-top", "compare", *WHAT_IF, "pad")
FOLLOW = ("sandbox", "sandbox-strided", "batch", "shift-curve", "shift-text", "occlusion", "learning", "loss-curve")
LIVE = ("prediction", "unsure", "input28", "status", "pad")  # what a reading made while the pen moves fills
CONTEXT = ("chosen", "network", "step", LANG)  # the inputs that end most events: the session's choices, the page's language

# The queue's slots, by concurrency id: how many events of that kind run at once. Every event that runs the network
# shares "cnn": two keep both cores busy (one torch thread each) while a large upload is read in a worker process
# (mnist_cnn/worker.py, which has as many); more would only wait. A pen-up and its experiments have slots of their
# own (its drawing is at most 560×560 px, so they add little memory): anyone can call any event, and a flood of calls
# to the others never queues in front of a drawing. Live readings (while the pen moves) have one of their own.
SLOTS = {"cnn": 2, "live": 1, "after": 1, "pen": 2, "pen-after": 1}


@dataclass(frozen=True)
class Event:
    """One event of the page: the part and trigger that fire it, the handler (a method of handlers.Page, by name;
    None for one that runs only in the browser), its inputs and outputs by part id, its slots, and its options.

    With data, the handler's first argument is that field of the event's data (the picked button's "index", the
    pad's count "n"), as the client sent it. With then, the experiments on what it read follow in those slots."""
    part: str
    trigger: str
    handler: str | None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    data: str | None = None
    slots: str = "cnn"
    then: str | None = None
    given: dict = field(default_factory=dict)  # the handler's fixed arguments
    js: str | None = None  # a script of app.SCRIPTS run in the page first (it may change the inputs)
    after_js: str | None = None  # one run in the page once the event has succeeded
    cancels: bool = False  # it cancels every reading on its way (wired before it), or they would refill the page
    request: bool = False  # the handler gets the request (gr.Request) too, as request
    options: dict = field(default_factory=dict)  # Gradio's own options of the event

    @property
    def fills_reading(self) -> bool:
        """It fills what a reading shows (and Clear cancels it on its way)."""
        return "prediction" in self.outputs and not self.cancels


def reads(part: str, trigger: str, handler: str, inputs: tuple, also: tuple = (), slots: str = "cnn",
          then: str = "after", **more) -> Event:
    """A reading event (which may change also these), then the experiments on what it read."""
    return Event(part, trigger, handler, inputs, READING + KEPT + also, slots=slots, then=then, **more)


PAD_INPUTS = ("pad", "chosen", "network", "pen", "step", LANG)
# what the experiments after a reading read, and a step's tab when it opens
STEP_INPUTS = ("current", "chosen", *SANDBOX, "batch-size", "batch-dim", "learning-step", "network")
EXPERIMENTS = (*STEP_INPUTS, "step", LANG)  # what the experiments after a reading read
LAST = {"trigger_mode": "always_last"}  # a control moved fast: only its last value is read
EVENTS = (
    # While the pen moves, the pad sends its drawing at most every LIVE_MS (widgets.py); it numbers what it sends,
    # and its pen-up goes out at once: a live reading sent before it is dropped (handlers.Pen).
    Event("pad", "sketch", "sketch", PAD_INPUTS, LIVE, data="n", slots="live", js="send-drawing", options=LAST),
    reads("pad", "drawn", "pen_up", PAD_INPUTS, data="n", slots="pen", then="pen-after", js="send-drawing", options=LAST),
    reads("upload", "upload", "uploaded", ("upload", *CONTEXT)),
    reads("examples", "select", "example", CONTEXT, data="index"),
    reads("mistakes", "select", "mistake", CONTEXT, data="index"),
    *(Event(key, "select", "pick", ("current", "network", LANG), ("kernel-detail", "chosen", "filter-top",
                                                                   *MAP_LAYERS), data="index", given={"panel": key},
            after_js="to-close-up")
      for key in MAP_LAYERS),
    reads(LANG, "change", "relabel", ("current", "original", *CONTEXT)),
    *(Event(key, "change", "sandbox", ("current", *SANDBOX, "network", "step", LANG), ("sandbox", "sandbox-strided"))
      for key in SANDBOX),
    # "input": a person moved it (not the page putting it back)
    *(reads(key, "input", "what_if", ("original", *WHAT_IF, *CONTEXT), options=LAST) for key in WHAT_IF),
    reads("reset", "click", "reset", ("original", *CONTEXT)),
    *(Event(key, trigger, "batch", ("current", "batch-size", "batch-dim", "network", LANG), ("batch",), options=LAST)
      for key, trigger in (("batch-size", "input"), ("batch-dim", "change"))),
    *(Event(f"question-{q}", "select", "answer", ("current", "network", LANG), (f"question-{q}", f"{q}-intro"),
            data="index",
            given={"question": q}) for q in QUESTIONS),
    Event("learning-step", "input", "learning", ("learning-step", "current", LANG), ("learning", "loss-curve"),
          options=LAST),
    reads("own-upload", "upload", "own", ("own-upload", "current", "original", "chosen", "step", LANG),
          ("network", "model-name", "model-status")),
    reads("use-shipped", "click", "shipped", ("current", "original", "chosen", "step", LANG),
          ("network", "model-name", "model-status")),
    Event("undo", "click", None, js="undo-stroke"),
    Event(WHOLE, "load", "loaded", (LANG,), ("class-link", LESSON, "step"), request=True),
    # A step's tab opened: its panels made for the drawing, and its address in the address bar
    *(Event(f"step-{step.id}", "select", "opened", (*STEP_INPUTS, LANG),
            tuple(p.id for p in PARTS if p.step == step.id and p.id in READING + KEPT + FOLLOW) + ("step",),
            given={"step": step.id}, after_js="step-address") for step in STEPS),
    Event("all-ten", "change", None, ("all-ten",), js="show-all"),
)
# What follows every reading: the experiments on it, each in the slots its event names
AFTER_READING = Event("", "success", "experiments", EXPERIMENTS, FOLLOW)
# Clear puts back as a fresh page shows them what events change and the controls (the drawing, every output, the
# visitor's network, their answers), not the pen's count (it keeps dropping the last drawing's live readings)
CONTROLS = {p.id for p in PARTS if p.kind in ("slider", "radio", "checkbox")}
FRESH = tuple(p.id for p in PARTS if (p.id in CONTROLS or any(p.id in e.outputs for e in (*EVENTS, AFTER_READING)))
              and p.id not in ("pen", "class-link"))
# Clear cancels the readings on their way (so it comes last)
EVENTS += (Event("clear", "click", "clear", (), (*FRESH, LESSON), js="wipe-pad", cancels=True),)


def name(part: str) -> str:
    """How handlers' parameters call a part's value."""
    return part.replace("-", "_")
