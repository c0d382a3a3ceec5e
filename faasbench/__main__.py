"""``python -m faasbench`` runs the command line, for environments without the console script."""

import sys

from faasbench.main import main

sys.exit(main())
