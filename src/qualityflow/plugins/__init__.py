"""The extension contract: pluggy markers, hook specifications and the plugin manager.

Plugins implement hooks with :data:`hookimpl`; the entry-point group is ``qualityflow``.
"""

from __future__ import annotations

import pluggy

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "qualityflow"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
"""Marks a hook specification in :mod:`qualityflow.plugins.hookspecs`."""
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks a plugin's implementation of a hook: ``@qf.hookimpl def qualityflow_notify(...)``."""
