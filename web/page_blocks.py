"""gr.Blocks for a page anyone can flood with calls: Gradio's per-call work that is of no use here is left out
(rebuilding each skipped output, summing up every event for a monitoring page that is off), and an open session's
messages are never dropped for newer sessions'."""
from copy import copy

import gradio as gr
from gradio.blocks import Block, BlockFunction, convert_component_dict_to_list, postprocess_update_dict
from gradio.utils import LRUCache

NEVER = 2**62  # events between two summaries for Gradio's monitoring page


def skipped(value: object) -> bool:
    """Whether an event's value for an output is gr.skip(): leave it as it is."""
    return isinstance(value, dict) and value == gr.skip()


def unchanged(block: Block, postprocess: bool) -> dict | None:
    """"No change" for an output, exactly as Gradio words it: nothing for a State, an empty update otherwise."""
    return None if block.stateful else postprocess_update_dict(block, gr.skip(), postprocess)


class RecentlyUsed(LRUCache):
    """Gradio's LRUCache, but a key read moves to the end: Gradio keeps the message queues of the last 2,000
    sessions that joined, so 2,000 new ones (a minute of hostile calls) dropped an open session's, and its
    answer with it."""

    def __getitem__(self, key):
        self.move_to_end(key)  # KeyError for a missing key, as before
        return super().__getitem__(key)


class PageBlocks(gr.Blocks):
    """gr.Blocks whose skipped outputs cost nothing, whose queue sums up no event, and whose open sessions keep
    their messages."""

    def queue(self, *args, **kwargs) -> "PageBlocks":
        """Gradio's queue, with those two changes."""
        super().queue(*args, **kwargs)
        # a pandas summary of up to 10,000 events after each one: 10–40 ms of CPU (GIL held), for a page that is off
        self._queue.ANAYLTICS_CACHE_FREQUENCY = NEVER
        self._queue.pending_messages_per_session = RecentlyUsed(self._queue.pending_messages_per_session.max_size)
        return self

    async def postprocess_data(self, block_fn: BlockFunction, predictions, state) -> list:
        """What the browser gets for an event's outputs. Gradio builds a skipped component and its config anew for
        the session (0.4–1 ms each) only to change nothing, so the skipped ones are answered here, word for word
        as Gradio would, and the rest go through Gradio."""
        outputs = block_fn.outputs
        if block_fn.batch or len(outputs) < 2:
            return await super().postprocess_data(block_fn, predictions, state)
        if skipped(predictions):  # one gr.skip() for all of them
            predictions = [gr.skip()] * len(outputs)
        elif isinstance(predictions, dict) and predictions and all(isinstance(k, Block) for k in predictions):
            predictions = convert_component_dict_to_list(outputs, predictions)
        if not isinstance(predictions, (list, tuple)) or len(predictions) != len(outputs):
            return await super().postprocess_data(block_fn, predictions, state)  # Gradio's own error message
        changed = [i for i, value in enumerate(predictions) if not skipped(value)]
        done = []
        if changed:
            some = copy(block_fn)
            some.outputs = [outputs[i] for i in changed]
            values = [predictions[i] for i in changed]
            done = await super().postprocess_data(some, values if len(changed) > 1 else values[0], state)
        answers, changed = iter(done), set(changed)
        return [next(answers) if i in changed else unchanged(block, block_fn.postprocess)
                for i, block in enumerate(outputs)]
