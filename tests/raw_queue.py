"""A raw client of Gradio's queue, as an attacker would use it: any event by its fn_index, any JSON as its data."""
import json
import uuid

import httpx


def config(url: str) -> dict:
    """The page's config: its components and its events (dependencies), as the browser gets it."""
    return httpx.get(url.rstrip("/") + "/config", timeout=20).json()


def events(url: str) -> list[dict]:
    """Every event of the page: fn_index, its input components' ids and types, its api name (if any)."""
    cfg = config(url)
    kinds = {c["id"]: c["type"] for c in cfg["components"]}
    return [{"fn_index": i, "inputs": [kinds.get(c) for c in d["inputs"]], "api_name": d.get("api_name"),
             "backend": d.get("backend_fn", True), "trigger": d["targets"]}
            for i, d in enumerate(cfg["dependencies"])]


def call(url: str, fn_index: int, data: list, event_data=None, session: str | None = None,
         timeout: float = 30) -> dict:
    """Join the queue with an event and raw data, and return the final message: {"success": bool, "output": ...}."""
    session = session or uuid.uuid4().hex
    base = url.rstrip("/") + "/gradio_api"
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": event_data,
            "trigger_id": None}
    with httpx.Client(timeout=timeout) as client:
        # json.dumps writes NaN and Infinity as JavaScript would, which strict JSON encoders refuse to send
        joined = client.post(base + "/queue/join", content=json.dumps(body),
                             headers={"content-type": "application/json"})
        if joined.status_code != 200:
            return {"success": False, "status": joined.status_code, "output": joined.text}
        with client.stream("GET", base + "/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    return {"success": False, "output": "no answer"}
