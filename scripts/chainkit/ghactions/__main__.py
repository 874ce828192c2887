"""``python -I -m chainkit.ghactions <action>``."""

import sys

from chainkit.ghactions import main

sys.exit(main(sys.argv[1:]))
