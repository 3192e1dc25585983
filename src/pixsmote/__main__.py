"""``python -m pixsmote``: the ``pixsmote`` command, for environments whose
scripts folder is not on ``PATH`` (or to pick the interpreter explicitly)."""

import sys

from pixsmote.cli import main

if __name__ == "__main__":
    sys.exit(main())
