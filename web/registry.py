"""The page as data: the lesson's steps in the seed's order, the parts each one shows, and the events that fill them.
app.py lays the page out and wires it by iterating over these; a new panel is one entry here, its view and its texts.
"""
from dataclasses import dataclass, field

from mnist_cnn.experiments import MAX_ANGLE, MAX_SHIFT, MAX_THICKNESS, PADDINGS, POOL_STRIDES, SCALES, STRIDES

from .render import GRIDS, MAP_LAYERS


@dataclass(frozen=True)
class Step:
    """One view of the lesson: its id (as in ?step=<id>), and the text keys of its tab and its introduction."""
    id: str

    @property
    def tab(self) -> str:
        return f"step.{self.id}"

    @property
    def intro(self) -> str:
        return f"step.{self.id}.intro"


# The seed's four ideas in its order, then what the page adds to it
STEPS = (Step("model"), Step("padding"), Step("stride"), Step("dim1"), Step("experiments"), Step("own"),
         Step("learning"))
PAD = "pad"  # not a step: the column of the pad and the prediction, on screen whatever step is open
FIRST = STEPS[0].id


@dataclass(frozen=True)
class Part:
    """One thing on the page. Its id is its element id and the name events and handlers use for its value.

    kind says what app.py builds: "picture" (HTML a handler fills; pickable ones fire select), "pad", "label",
    "status", "text" (its text key only), "button", "upload", "slider", "radio", "checkbox", "plot", "state".
    """
    id: str
    step: str  # a Step's id, or PAD
    kind: str = "picture"
    side: int = 0  # the column of its step: 0 on the left (or first, on a phone), 1 on the right
    title: str | None = None  # text key of its heading
    text: str | None = None  # text key of its explanation, under it (for "text": the text itself)
    label: str | None = None  # text key of a control's label
    row: str | None = None  # parts next to each other with the same row sit in one row
    shown: str | None = None  # the page's data it needs (an attribute of handlers.Page); without it, left out
    options: dict = field(default_factory=dict)  # the kind's own arguments (limits, choices, file types...)

    @property
    def name(self) -> str:
        """The part's id as a Python name: how handlers' parameters call it."""
        return self.id.replace("-", "_")


def panel(id: str, step: str, side: int = 0, **more) -> Part:
    """A picture with its title and explanation, keyed by its id."""
    return Part(id, step, side=side, title=f"{id}.title", text=f"{id}.text", **more)


# The what-if sliders: (lowest, highest, step), and where they rest
WHAT_IF = {"shift-x": (-MAX_SHIFT, MAX_SHIFT, 1), "shift-y": (-MAX_SHIFT, MAX_SHIFT, 1),
           "angle": (-MAX_ANGLE, MAX_ANGLE, 5), "scale": (*SCALES, 0.05),
           "thickness": (-MAX_THICKNESS, MAX_THICKNESS, 1)}
NEUTRAL = {"shift-x": 0, "shift-y": 0, "angle": 0, "scale": 1, "thickness": 0}
# The sandbox's controls: (choices, the seed's own value)
SANDBOX = {"sandbox-padding": (PADDINGS, 1), "sandbox-stride": (STRIDES, 1), "sandbox-pool-stride": (POOL_STRIDES, 2)}
SESSION_TTL = 3600  # seconds a session's own state (its reading, its chosen filter) lives after its last use

PARTS = (
    # The pad's column
    Part("draw-title", PAD, "text", title="draw.label"),
    Part("pad", PAD, "pad"),
    Part("undo", PAD, "button", label="undo", row="tools"),
    Part("clear", PAD, "button", label="clear", row="tools", options={"variant": "stop"}),
    Part("upload", PAD, "upload", label="upload.label", row="tools", options={"file_types": ["image"]}),
    Part("status", PAD, "status"),
    Part("hint", PAD, "text", text="draw.hint"),
    Part("prediction", PAD, "label", label="prediction.label"),
    Part("unsure", PAD, "picture"),
    Part("all-ten", PAD, "checkbox", label="prediction.all"),
    panel("input28", PAD),
    # 1. The layers, in the order the data flows; the close-ups beside them
    Part("examples", "model", "picture", title="examples.label", options={"pickable": True}),
    *(panel(key, "model", options={"pickable": key in MAP_LAYERS}) for key in (*GRIDS, "act-fc1", "act-output")),
    Part("kernel-detail", "model", side=1, title="kernel-detail.title", text="kernel-detail.hint"),
    Part("filter-top", "model", side=1, title="filter-top.title", text="filter-top.intro", shown="filter_top"),
    Part("saliency", "model", side=1, title="saliency.title"),
    Part("softmax-steps", "model", side=1, title="softmax-steps.title"),
    Part("mistakes", "model", side=1, title="mistakes.title", shown="mistakes", options={"pickable": True}),
    # 2. and 3. Padding and stride, live in the sandbox
    Part("sandbox-padding", "padding", "radio", label="sandbox.padding", options={"choices": SANDBOX}),
    Part("sandbox", "padding", title="sandbox.title"),
    Part("sandbox-stride", "stride", "radio", label="sandbox.stride", row="strides", options={"choices": SANDBOX}),
    Part("sandbox-pool-stride", "stride", "radio", label="sandbox.pool-stride", row="strides",
         options={"choices": SANDBOX}),
    Part("sandbox-strided", "stride", title="sandbox.title"),
    # 5. Experiments on the drawing
    *(Part(key, "experiments", "slider", label=f"what-if.{key}", title="what-if.title" if key == "shift-x" else None,
           text="what-if.intro" if key == "shift-x" else None,
           options={"limits": WHAT_IF[key], "value": NEUTRAL[key]}) for key in WHAT_IF),
    Part("reset", "experiments", "button", label="what-if.reset"),
    Part("shift-curve", "experiments", "plot", options={"x": "shift", "y": "probability", "color": "direction"}),
    Part("shift-text", "experiments"),
    Part("occlusion", "experiments", side=1, title="occlusion.title"),
    # 6. The visitor's own network
    Part("own-upload", "own", "upload", label="own.upload", row="own",
         options={"file_types": [".pt", ".pth", ".safetensors"]}),
    Part("use-shipped", "own", "button", label="own.use-shipped", row="own"),
    Part("model-name", "own"),
    Part("model-status", "own", "status"),
    Part("compare", "own"),
    # 7. Watching it learn
    Part("learning-step", "learning", "slider", label="learning.step", shown="snapshots"),
    Part("learning", "learning", shown="snapshots"),
    Part("loss-curve", "learning", "plot", side=1, shown="snapshots",
         options={"x": "step", "y": "loss", "color": "series"}),
    # The session's own things, gone with it; never sent to the browser
    *(Part(key, PAD, "state", options={"ttl": SESSION_TTL}) for key in ("current", "original", "chosen", "step")),
    Part("network", PAD, "state", options={"ttl": "network"}),
    Part("pen", PAD, "state", options={"value": "pen"}),
)
BY_ID = {part.id: part for part in PARTS}
assert len(BY_ID) == len(PARTS), "two parts with one id"


def step_of(part: str) -> str:
    """The step a part sits in (PAD for the pad's column)."""
    return BY_ID[part].step


# What events fill, by group: a reading fills these (each in its step), the experiments after it those
READING = ("prediction", "unsure", "input28", *GRIDS, "act-fc1", "act-output", "kernel-detail", "saliency",
           "softmax-steps", "status")
FOLLOW = ("sandbox", "sandbox-strided", "shift-curve", "shift-text", "occlusion", "learning", "loss-curve")
KEPT = ("current", "original", "filter-top", "compare", *WHAT_IF, "pad")  # what else a reading may change
LIVE = ("prediction", "unsure", "input28", "status")  # what a reading made while the pen moves fills
# Every event that runs the network shares the "cnn" slots; the others have their own (app.SLOTS says why)
CONTEXT = ("chosen", "network", "lang")  # the inputs that end most events: the session's choices, the page's language


@dataclass(frozen=True)
class Event:
    """One event of the page: what fires it, the handler (a method of handlers.Page, by name), its inputs and
    outputs by part id, and its options. With data, the handler's first argument is that field of the event's data."""
    part: str
    trigger: str
    handler: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    data: str | None = None
    slots: str = "cnn"
    then: str | None = None  # a handler run after it succeeds, on FOLLOW (the experiments on what it read)
    options: dict = field(default_factory=dict)


def reads(part: str, trigger: str, handler: str, inputs: tuple, also: tuple = (), slots: str = "cnn",
          then_slots: str = "after", **more) -> Event:
    """A reading event (which may change also these), then the experiments on what it read."""
    return Event(part, trigger, handler, inputs, READING + KEPT + also, slots=slots, then=then_slots, **more)


PAD_INPUTS = ("pad", "chosen", "network", "pen", "lang")
EXPERIMENTS = ("current", *SANDBOX, "learning-step", "network", "lang")  # what the experiments after a reading read
EVENTS = (
    # While the pen moves: only what is on screen whatever the step (LIVE); the pen-up reads the whole drawing
    Event("pad", "sketch", "sketch", PAD_INPUTS, LIVE + ("pad",), data="n", slots="live",
          options={"trigger_mode": "always_last", "js": "drawn"}),
    reads("pad", "drawn", "pen_up", PAD_INPUTS, data="n", slots="pen", then_slots="pen-after",
          options={"trigger_mode": "always_last", "js": "drawn"}),
    reads("upload", "upload", "uploaded", ("upload", *CONTEXT)),
    reads("examples", "select", "example", CONTEXT, data="index"),
    reads("mistakes", "select", "mistake", CONTEXT, data="index"),
    *(Event(key, "select", "pick", ("current", "network", "lang"),
            ("kernel-detail", "chosen", "filter-top", *MAP_LAYERS), data="index", options={"panel": key})
      for key in MAP_LAYERS),
    reads("lang", "change", "relabel", ("current", "original", *CONTEXT)),
    *(Event(key, "change", "sandbox", ("current", *SANDBOX, "network", "lang"), ("sandbox", "sandbox-strided"))
      for key in SANDBOX),
    # "input": a person moved it (not the page putting it back)
    *(reads(key, "input", "what_if", ("original", *WHAT_IF, *CONTEXT), options={"trigger_mode": "always_last"})
      for key in WHAT_IF),
    reads("reset", "click", "reset", ("original", *CONTEXT)),
    Event("learning-step", "input", "learning", ("learning-step", "current", "lang"), ("learning", "loss-curve"),
          options={"trigger_mode": "always_last"}),
    reads("own-upload", "upload", "own", ("own-upload", "current", "original", "chosen", "lang"),
          ("network", "model-name", "model-status")),
    reads("use-shipped", "click", "shipped", ("current", "original", "chosen", "lang"),
          ("network", "model-name", "model-status")),
    Event("clear", "click", "clear", (), READING + KEPT + FOLLOW, options={"js": "clear", "cancels": "readings"}),
)
