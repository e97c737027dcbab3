"""``python -m hccdash.sample``: build (or complete) the sample folder, see :mod:`hccdash.sample.build`."""

import sys

from hccdash.sample.build import main

sys.exit(main())
