"""The built wheel stands alone: data folders and front-end files inside, pages served.

The wheel is built from this checkout, installed in a fresh venv under a temporary
directory, and run from there with no checkout around (cwd outside it, no PYTHONPATH, no
REGIONGRAPH_NODE_MODULES): `regiongraph demo` loads a disk store, `regiongraph serve`
serves it on loopback, and Chromium loads /sparql, /explore and /docs with every request
to another host aborted and recorded.
"""

import os
import site
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import Watch, free_port, wait_until_up
from tests.web.test_api_docs import operation_count, rendered_operations

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Installed:
    python: Path
    site: Path
    cwd: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                              cwd=self.cwd, env=self.env, check=False)


def outside_env() -> dict[str, str]:
    """This process's environment minus whatever could point back into the checkout."""
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "REGIONGRAPH_NODE_MODULES", "REGIONGRAPH_STORE",
                         "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """The wheel installed alone in a fresh venv; its dependencies from the test venv."""
    tmp = tmp_path_factory.mktemp("wheel")
    # A build directory of its own: files left in the checkout's build/ by an earlier
    # build must not reach this wheel.
    config = tmp / "build.cfg"
    config.write_text(f"[build]\nbuild_base = {tmp / 'build'}\n")
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp / "dist"),
         str(ROOT)], capture_output=True, text=True, timeout=300, cwd=tmp, check=False,
        env={**os.environ, "DIST_EXTRA_CONFIG": str(config)})
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    wheel = next((tmp / "dist").glob("regiongraph-*.whl"))

    scratch = tmp / "venv"
    venv.create(scratch, with_pip=True)
    python = scratch / "bin" / "python"
    scratch_site = subprocess.run(
        [str(python), "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True, text=True, check=True).stdout.strip()
    # Dependencies come from the project's venv (no download); a .pth line adds a path but
    # runs none of that folder's .pth files, so the checkout's editable install stays out.
    Path(scratch_site, "project-deps.pth").write_text(site.getsitepackages()[0] + "\n")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=300, check=False)
    assert install.returncode == 0, install.stderr
    cwd = tmp / "elsewhere"
    cwd.mkdir()
    return Installed(python, Path(scratch_site), cwd, outside_env())


def test_wheel_carries_data_and_front_end(installed):
    where = installed.run(
        str(installed.python), "-c",
        "import regiongraph; from regiongraph.paths import data_path, npm_path;"
        "print(regiongraph.__file__, data_path('ontology'), data_path('demo'), npm_path())")
    module_file, ontology, demo, npm = where.stdout.split()
    assert module_file.startswith(str(installed.site)), module_file
    assert ontology.startswith(str(installed.site))
    assert (Path(ontology) / "regiongraph.ttl").is_file()
    assert (Path(demo) / "sources.yaml").is_file()
    assert npm == str(installed.site / "regiongraph" / "_vendor")
    from regiongraph.paths import NPM_FILES

    shipped = {str(p.relative_to(npm)) for p in Path(npm).rglob("*") if p.is_file()}
    assert shipped == {f"{folder}/{name}" for folder, names in NPM_FILES.items()
                       for name in names}


@pytest.fixture(scope="module")
def wheel_service(installed):
    """`regiongraph demo` into a disk store, then `regiongraph serve`, both from the wheel."""
    store = installed.cwd / "store"
    bin_dir = installed.python.parent
    load = installed.run(str(bin_dir / "regiongraph"), "--store", str(store), "demo",
                         timeout=300)
    assert load.returncode == 0, load.stderr[-3000:]
    assert "demo region loaded into" in load.stderr
    port = free_port()
    server = subprocess.Popen(
        [str(bin_dir / "regiongraph"), "--store", str(store), "serve", "--host", "127.0.0.1",
         "--port", str(port)], cwd=installed.cwd, env=installed.env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/health", timeout=60)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.browser
def test_installed_wheel_serves_pages_offline(wheel_service, browser):
    context = browser.new_context()
    watch = Watch(context)
    page = context.new_page()
    page.on("pageerror", lambda e: watch.errors.append(str(e)))

    page.goto(wheel_service + "/sparql")
    page.locator(".yasqe .CodeMirror").wait_for(timeout=20_000)
    assert page.evaluate("typeof window.regiongraphYasgui.getTab") == "function"

    page.goto(wheel_service + "/explore")
    page.wait_for_function("window.regiongraphExplorer && window.regiongraphExplorer.ready",
                           timeout=20_000)
    assert page.evaluate("window.regiongraphExplorer.cy.nodes().length") > 1

    page.goto(wheel_service + "/docs")
    page.locator(".opblock").first.wait_for(timeout=20_000)
    drawn = rendered_operations(page, operation_count(wheel_service))  # drawn as scrolled in
    assert len(drawn) == operation_count(wheel_service)
    assert any("sparql" in block for block in drawn)
    context.close()
    assert watch.errors == []
    assert watch.outside == []
