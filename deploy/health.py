"""A container's health check: exit 0 if the app, or nginx in front of it, answers on this machine's port."""
import argparse
import os
import sys
import urllib.request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
                        help="the port to ask (default: GRADIO_SERVER_PORT, else 7860)")
    args = parser.parse_args()
    try:  # Gradio's smallest answer, which only a running app gives
        with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/gradio_api/app_id", timeout=4) as answer:
            sys.exit(0 if answer.status == 200 else 1)
    except OSError as e:
        sys.exit(f"no answer on port {args.port}: {e}")


if __name__ == "__main__":
    main()
