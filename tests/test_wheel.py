"""The data folders ship inside a built wheel, and the CLI finds them there."""

import site
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_data_and_runs_demo(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist"),
         str(ROOT)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("regiongraph-*.whl"))

    scratch = tmp_path / "venv"
    venv.create(scratch, with_pip=True)
    python = scratch / "bin" / "python"
    # Dependencies come from the project's venv (no download); regiongraph itself only from the wheel.
    deps = site.getsitepackages()[0]
    scratch_site = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                                  capture_output=True, text=True).stdout.strip()
    Path(scratch_site, "project-deps.pth").write_text(deps + "\n")
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr

    where = subprocess.run(
        [str(python), "-c", "from regiongraph import data_path; import regiongraph;"
         "print(regiongraph.__file__); print(data_path('ontology')); print(data_path('demo'))"],
        capture_output=True, text=True, cwd=tmp_path)
    module_file, ontology, demo = where.stdout.split()
    assert module_file.startswith(str(scratch)), module_file
    assert ontology.startswith(scratch_site) and (Path(ontology) / "regiongraph.ttl").is_file()
    assert (Path(demo) / "sources.yaml").is_file()

    run = subprocess.run([str(scratch / "bin" / "regiongraph"), "--store", "memory", "demo"],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "demo loaded into memory" in run.stderr
