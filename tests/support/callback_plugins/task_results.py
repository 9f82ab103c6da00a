"""Test-only callback: append every task result, with its host and failed flag, to a JSON-lines file."""
import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_results
type: aggregate
short_description: append task results to the file named by TASK_RESULTS_FILE (tests only)
description: Used by the tests and the demo to read back what modules returned, task by task.
requirements: [enable in configuration]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_results"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, result, failed):
        record = {"host": result._host.get_name(), "task": result._task.get_name(),
                  "failed": failed, "result": dict(result._result, failed=failed)}
        with open(os.environ["TASK_RESULTS_FILE"], "a", encoding="utf-8") as out:
            out.write(json.dumps(record, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._write(result, False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, True)
