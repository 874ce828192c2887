"""Local, faithful stand-ins for the GitHub REST API (releases) and Sigstore.

The public API is filled in as the stand-ins land; see docs/sandbox.md.
"""

from __future__ import annotations

from chainkit.sandbox._errors import SandboxError, SandboxServiceError, SandboxUsageError

__all__ = ["SandboxError", "SandboxServiceError", "SandboxUsageError"]
