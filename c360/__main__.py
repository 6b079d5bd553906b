"""`python -m c360`, the same as the `c360` command."""

import sys

from c360.main import main

sys.exit(main())
