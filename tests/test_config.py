"""The book's configuration: the repository address and the launch buttons.

The address is set in one place, `_config.yml`; two texts a reader copies from
(the clone command in the setup page, the package's Source link) must say the
same, so whoever publishes the course and changes it learns here where else
to change it.
"""

from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
URL = CONFIG["repository"]["url"].rstrip("/")


def test_setup_page_clones_the_configured_repository():
    setup = (ROOT / "book" / "setup.md").read_text()
    assert f"git clone {URL}.git" in setup, (
        f"book/setup.md must clone {URL}.git, the address in _config.yml"
    )


def test_package_links_to_the_configured_repository():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["urls"]["Source"].rstrip("/") == URL


def test_launch_buttons_open_the_learner_branch():
    buttons = CONFIG["launch_buttons"]
    assert buttons["binderhub_url"] == "https://mybinder.org"
    assert buttons["colab_url"] == "https://colab.research.google.com"
    # the student branch holds the notebooks without solutions (make student-branch)
    assert CONFIG["repository"]["branch"] == "student"
    # Binder builds its environment from here: the course package itself
    lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    assert [ln for ln in lines if ln and not ln.startswith("#")] == ["-e ."]
