"""Where a floe.yaml's manifest is, when no one says (--manifest, FLOE_MANIFEST, or a
manifest passed in the same `floe validate` call):

- `platform.manifest`, relative to floe.yaml; remote (`oci://`) references are not
  fetched;
- else the nearest `manifest.yaml` / `manifest.yml` beside floe.yaml or in a parent
  directory, up to the repository root.

The repository root is the nearest directory holding `.git`, else floe.yaml's own
directory. A manifest found this way must lie inside it: a `platform.manifest` of
`../../../../etc/passwd` is refused without being opened, since floe.yaml may come
from anyone. A manifest named on the command line is read wherever it is.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from floe_compiler.diagnostics import Diagnostic, diagnostic
from floe_compiler.loader import Located

MANIFEST_NAMES = ("manifest.yaml", "manifest.yml")


@dataclass(frozen=True)
class ManifestLookup:
    path: Path | None  # the manifest, when found
    diagnostics: list[Diagnostic] = field(default_factory=list)


class RunPaths:
    """What the files of one run learn about directories, so that floe.yamls in sibling
    directories (a monorepo's products) do not look at their common parents again: which
    hold `.git`, and where each really is (symlinks resolved). It must not outlive the
    run: a repository may be made, or a link changed, before the next."""

    def __init__(self) -> None:
        self.git: dict[Path, bool] = {}
        self._real: dict[str, str] = {}

    def holds_git(self, directory: Path) -> bool:
        found = self.git.get(directory)
        if found is None:
            found = self.git[directory] = (directory / ".git").exists()
        return found

    def resolve(self, path: Path) -> Path:
        """`path.resolve()`: each directory above it resolved once per run."""
        text = os.fspath(path)
        if not os.path.isabs(text):
            text = os.path.join(os.getcwd(), text)  # the working directory is real
        parts = text.split(os.sep)
        if os.sep != "/" or os.path.altsep or any(p in ("", ".", "..") for p in parts[1:]):
            return path.resolve()  # not a plain absolute path: as Path does it
        return Path(self._resolved(text))

    def under(self, real: Path, relative: str) -> Path:
        """`(real / relative).resolve()` for a `real` directory (already resolved): only
        `relative`'s own parts are looked at."""
        if os.path.isabs(relative) or os.sep != "/" or os.path.altsep:
            return (real / relative).resolve()
        current = os.fspath(real)
        parts = relative.split("/")
        for index, part in enumerate(parts):
            if part in ("", "."):
                continue
            if part == "..":
                current = os.path.dirname(current)  # the parent of a real directory
                continue
            candidate = os.path.join(current, part)
            if os.path.islink(candidate):  # from here, as realpath does it all
                return Path(_realpath(os.path.join(candidate, *parts[index + 1:])))
            current = candidate
        return Path(current)

    def _resolved(self, text: str) -> str:
        """The real path of a plain absolute path (no empty, . or .. part)."""
        if text == os.sep:
            return text
        found = self._real.get(text)
        if found is None:
            parent, name = os.path.split(text)
            candidate = os.path.join(self._resolved(parent), name)
            found = _realpath(candidate) if os.path.islink(candidate) else candidate
            self._real[text] = found
        return found


def _realpath(text: str) -> str:
    """`os.path.realpath`, refusing a symlink loop as `Path.resolve()` does."""
    found = os.path.realpath(text)
    try:
        os.stat(found)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RuntimeError(f"Symlink loop from {exc.filename!r}") from None
    return found


def repository_root(directory: Path, paths: RunPaths | None = None) -> Path:
    """The nearest directory (this one or a parent) holding `.git`, else `directory`."""
    known = paths or RunPaths()
    for candidate in (directory, *directory.parents):
        if known.holds_git(candidate):
            return candidate
    return directory


def find_manifest(spec: Located, location: Path, *, required: bool,
                  paths: RunPaths | None = None) -> ManifestLookup:
    """The manifest of the floe.yaml at `location`. When it cannot be used, compiling
    (`required`) gets FLOE-E206. Validating goes on without it; only a reference outside
    the repository is worth the warning FLOE-W202 there (it says why it was not read).
    `paths`: what this run knows of directories already."""
    platform = spec.data.get("platform") if isinstance(spec.data, dict) else None
    ref = platform.get("manifest") if isinstance(platform, dict) else None

    def cannot(message: str, hint: str | None = None) -> ManifestLookup:
        code = "FLOE-E206" if required else "FLOE-W202"
        line, col = spec.value_at(("platform", "manifest"))
        return ManifestLookup(None, [diagnostic(code, message, file=spec.file, line=line,
                                                column=col, hint=hint)])

    try:
        known = paths or RunPaths()
        directory = known.resolve(location.parent)
        root = repository_root(directory, known)
        if isinstance(ref, str) and ref:
            if "://" in ref:
                if not required:
                    return ManifestLookup(None)
                return cannot(f"platform.manifest '{ref}' is a remote reference; floe "
                              "compiles against a local manifest",
                              "Pass --manifest with a local copy of the manifest.")
            shown = location.parent / ref
            if not known.under(directory, ref).is_relative_to(root):
                return cannot(f"platform.manifest '{ref}' lies outside the repository "
                              f"({root}); it is not read",
                              "Pass --manifest (or set FLOE_MANIFEST) to use a manifest "
                              "outside the repository.")
            if not shown.is_file():
                if not required:  # the rules of each file alone still run
                    return ManifestLookup(None)
                return cannot(f"platform.manifest '{ref}' not found (looked for {shown})")
            return ManifestLookup(shown)
        for folder in (directory, *directory.parents):
            for name in MANIFEST_NAMES:
                found = folder / name
                if not found.is_file():
                    continue
                if not known.under(folder, name).is_relative_to(root):  # a symlink out
                    return cannot(f"{found} lies outside the repository ({root}); it is "
                                  "not read", "Pass --manifest (or set FLOE_MANIFEST) to use a "
                                  "manifest outside the repository.")
                return ManifestLookup(_shown(found, location))
            if folder == root:
                break
    except (OSError, ValueError, RuntimeError) as exc:  # a name too long, a symlink loop
        problem = getattr(exc, "strerror", None) or str(exc)
        return cannot(f"platform.manifest cannot be opened: {problem}")
    if not required:
        return ManifestLookup(None)
    return cannot("no manifest given: floe.yaml has no platform.manifest, there is no "
                  f"manifest.yaml beside it or above it up to {root}, and --manifest was "
                  "not passed")


def _shown(found: Path, location: Path) -> Path:
    """A found manifest as the user would write it: relative when floe.yaml was."""
    if location.is_absolute():
        return found
    try:
        return Path(os.path.relpath(found))
    except ValueError:  # another drive on Windows
        return found
