"""Test-only callback: write each host's module result, with its failed flag, as JSON to a directory."""
import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: result_file
type: aggregate
short_description: write module results to RESULT_FILE_DIR/<host>.json (tests only)
description: Used by the module tests to read back what a module returned.
requirements: [enable in configuration]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "result_file"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, result, failed):
        payload = dict(result._result, failed=failed)
        path = os.path.join(os.environ["RESULT_FILE_DIR"], "%s.json" % result._host.get_name())
        with open(path, "w", encoding="utf-8") as out:
            json.dump(payload, out, default=str)

    def v2_runner_on_ok(self, result):
        self._write(result, False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, True)
