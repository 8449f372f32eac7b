# SPDX-License-Identifier: MIT
"""Files a process dropped to `nobody` must reach, staged outside the checkout.

A checkout may sit where `nobody` cannot traverse (root's clone under /root, mode 0700), so
a test that runs something unprivileged with the build's libnss_scim.so.2 on LD_LIBRARY_PATH
would silently get no module. stage() copies a built file, once per test process, into a
root-owned 0755 directory under /tmp that is removed when the process exits.
"""

import atexit
import os
import shutil
import tempfile

_dir = None


def _staging_dir():
    global _dir
    if _dir is None:
        _dir = tempfile.mkdtemp(prefix="scim-staged-")
        os.chmod(_dir, 0o755)
        atexit.register(shutil.rmtree, _dir, True)
    return _dir


def stage(path, subdir=""):
    """A world-readable copy of path (kept up to date), in a world-traversable directory."""
    d = os.path.join(_staging_dir(), subdir)
    os.makedirs(d, mode=0o755, exist_ok=True)
    os.chmod(d, 0o755)
    copy = os.path.join(d, os.path.basename(path))
    shutil.copy2(path, copy + ".tmp")
    os.chmod(copy + ".tmp", 0o755)
    os.replace(copy + ".tmp", copy)
    return copy


def nss_libdir(build_libdir):
    """A directory holding a copy of build_libdir's libnss_scim.so.2, for LD_LIBRARY_PATH."""
    return os.path.dirname(stage(os.path.join(build_libdir, "libnss_scim.so.2"), "nss"))
