"""`python -m tests.containers`: KWDB images and container labs (see cli.py)."""
import sys

from .cli import main

sys.exit(main())
