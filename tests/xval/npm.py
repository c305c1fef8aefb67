"""Installs a pinned npm package set (package.json + package-lock.json) into
a work directory under the build tree, once per lock file, with scripts off.

Shared by the discord.js cross-validation and the gateway benchmark, which
pin the same discord.js.
"""

import hashlib
import os
import shutil
import subprocess


class NpmError(Exception):
    pass


def npm_ci(src, work, timeout=300, log=print):
    """Copies src's package.json and package-lock.json into work and runs
    `npm ci --ignore-scripts` there unless the same lock is installed."""
    npm = shutil.which("npm")
    if not shutil.which("node") or not npm:
        raise NpmError("node and npm are required (Debian: apt-get install nodejs npm)")
    os.makedirs(work, exist_ok=True)
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        with open(os.path.join(src, name), "rb") as f:
            digest.update(f.read())
    stamp = digest.hexdigest()
    stamp_path = os.path.join(work, ".installed")
    current = open(stamp_path).read().strip() if os.path.exists(stamp_path) else ""
    if current == stamp and os.path.isdir(os.path.join(work, "node_modules")):
        return
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(os.path.join(src, name), os.path.join(work, name))
    log(f"installing npm packages into {work} (npm ci)")
    try:
        r = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=work,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise NpmError("npm ci timed out")
    if r.returncode != 0:
        raise NpmError(f"npm ci failed ({r.returncode}):\n{r.stdout[-3000:]}")
    with open(stamp_path, "w") as f:
        f.write(stamp + "\n")
