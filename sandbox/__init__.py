"""The local Telegram: a Bot API server on loopback plus a scripted world.

See ``sandbox/README.md``. ``Sandbox`` is the entry point.
"""

from sandbox.core import Sandbox
from sandbox.threaded import ThreadedSandbox

__all__ = ["Sandbox", "ThreadedSandbox"]
