"""chainkit: supply-chain security for Python projects on GitHub."""

__version__ = "0.1.0"

__all__ = ["__version__"]
