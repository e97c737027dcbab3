"""``python -m hccdash``: the command-line face of the library."""

import sys

from hccdash.cli import main

sys.exit(main())
