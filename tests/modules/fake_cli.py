"""A fake database CLI for module tests: prints recorded real output, chosen by the command it is given.

The test writes a scenario (JSON) next to the script: for each command key ("version", "node status",
"sql") a list of responses. Every call consumes the next response of its key; the last one repeats,
so a sequence models a node that is not live for two reads and live afterwards. Each call's argv is
appended to calls.jsonl so tests can assert what the module ran.
"""
import fcntl
import json
import os
import sys

COMMAND_KEYS = ("node status", "node drain", "sql", "version", "--cmd ver")
# A scenario may answer one SQL statement on its own under "sql: <statement>" (the text after -e); a statement
# without such a key is answered from "sql" as before.
STATEMENT_KEY_PREFIX = "sql: "


def command_key(argv):
    joined = " ".join(argv)
    for key in COMMAND_KEYS:
        if joined.startswith(key) or (key == "--cmd ver" and "--cmd ver" in joined):
            return key
    return joined


def statement_key(state_dir, argv, key):
    """The "sql: <statement>" key when the scenario has one for this call's statement, else ``key``."""
    if key != "sql" or "-e" not in argv[:-1]:
        return key
    with open(os.path.join(state_dir, "scenario.json"), encoding="utf-8") as source:
        scenario = json.load(source)
    specific = STATEMENT_KEY_PREFIX + argv[argv.index("-e") + 1]
    return specific if specific in scenario else key


def next_response(state_dir, key):
    with open(os.path.join(state_dir, "scenario.json"), encoding="utf-8") as source:
        responses = json.load(source)[key]
    counter_path = os.path.join(state_dir, "counters.json")
    with open(counter_path, "a+", encoding="utf-8") as counters_file:
        fcntl.flock(counters_file, fcntl.LOCK_EX)
        counters_file.seek(0)
        counters = json.loads(counters_file.read() or "{}")
        index = counters.get(key, 0)
        counters[key] = index + 1
        counters_file.seek(0)
        counters_file.truncate()
        counters_file.write(json.dumps(counters))
    return responses[min(index, len(responses) - 1)]


def main():
    state_dir = os.path.dirname(os.path.abspath(__file__))
    argv = sys.argv[1:]
    with open(os.path.join(state_dir, "calls.jsonl"), "a", encoding="utf-8") as calls:
        calls.write(json.dumps(argv) + "\n")
    response = next_response(state_dir, statement_key(state_dir, argv, command_key(argv)))
    sys.stdout.write(response.get("stdout", ""))
    sys.stderr.write(response.get("stderr", ""))
    return response.get("rc", 0)


if __name__ == "__main__":
    sys.exit(main())
