"""The built documentation site, shared by the tests of this directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codegen.site import build_pages


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mkdocs build --strict`` of the pages (after the reference drift check)."""
    out = tmp_path_factory.mktemp("site")
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    build_pages(out)
    return out
