"""`python -m tests.testbed`: manage the podman test hosts (see cli.py)."""
import sys

from .cli import main

sys.exit(main())
