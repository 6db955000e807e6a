#!/usr/bin/env python3
"""Example `command` tool of the Agent Studio example workspace.

Agent Studio starts this program once per call, writes the call's arguments as one JSON
object to stdin and reads the result from stdout (JSON, or plain text). A non-zero exit is a
tool error; whatever was written to stderr becomes its message.
"""
import json
import re
import sys


def main() -> int:
    try:
        args = json.load(sys.stdin)
    except json.JSONDecodeError as e:
        print(f"arguments are not JSON: {e}", file=sys.stderr)
        return 2
    text = args.get("text")
    if not isinstance(text, str):
        print("argument 'text' must be a string", file=sys.stderr)
        return 2
    words = re.findall(r"[\w'-]+", text)
    sentences = [s for s in re.split(r"[.!?]+", text) if s.strip()]
    long_words = [w for w in words if len(w) >= 7]
    per_sentence = len(words) / len(sentences) if sentences else float(len(words))
    json.dump(
        {
            "characters": len(text),
            "words": len(words),
            "sentences": len(sentences),
            "words_per_sentence": round(per_sentence, 1),
            "long_word_ratio": round(len(long_words) / len(words), 2) if words else 0.0,
        },
        sys.stdout,
    )
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
