"""``python -m chainkit``."""

from chainkit.cli import main

main()
