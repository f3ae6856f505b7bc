"""Corpus build benchmark: the CalHR class specifications and the LA bulletins built as `rolegraph build` builds
them, each next to pyoxigraph bulk-loading the same quads, in one run.

    python bench/calhr.py                 # CalHR specs (1,757 HTML pages) and LA bulletins (683 text files)
    python bench/calhr.py --only calhr    # one corpus
    python bench/calhr.py --limit 200     # the first 200 files of each, for a quick look
    python bench/calhr.py --against HEAD~3   # also build with the code of another git revision, same run

For each corpus: a child process runs ``rolegraph.pipeline.build`` into a fresh on-disk store, as the CLI does
(cyclic collector paused), timing the pipeline's stages as it reports them (reading and parsing until the last file
is reported read; merging, keeping the build state and the skills vocabulary until the first stage the ``stages``
callback names;
then each named stage until the next); its wall and CPU time and the peak resident memory of
it and of its worker processes (``getrusage``: ``ru_maxrss`` of self and of children) are printed. The store is
then dumped as N-Quads (``rolegraph export``), and another child bulk-loads that dump into a fresh pyoxigraph
store (the baseline; bench/build.py's LOAD_BASELINE). Ratios are build / load, of wall and of CPU time. With
``--against REV`` each corpus is also built, just before, by the package as it was at git revision REV (exported
with ``git archive`` into the work folder), and the ratios of this build to that one are printed: "not slower than
before" measured in one run. Asserts nothing about time: figures are for people to read, and on a loaded machine
the wall times are inflated (the load average is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build import LOAD_BASELINE, run_measured  # noqa: E402  (bench/ is not a package)

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
CORPORA = {
    "calhr": SHARED / "calhr-specs" / "specs",
    "la": SHARED / "la-bulletins" / "Job Bulletins",
}
TARGET_RATIO = 3.0

# Run in a child process: the build as `rolegraph build` runs it, its stages timed; one JSON line out. sys.argv[4],
# when given, is a folder holding another version of the package, imported instead of the installed one.
TIMED_BUILD = """
import json, resource, sys, time
if len(sys.argv) > 4:
    sys.path.insert(0, sys.argv[4])
import rolegraph
from rolegraph.collector import collector_paused
from rolegraph.pipeline import build
from rolegraph.readers import list_source_files
from rolegraph.store import open_store

limit = int(sys.argv[3]) if sys.argv[3] != "all" else None
files = list_source_files([sys.argv[1]])
if limit is not None:
    files = files[:limit]
marks = [("reading and parsing", time.perf_counter())]
last_read = [0.0]

def stage(name, total):
    if len(marks) == 1:  # the last file was read and parsed: the rest is what comes before the first stage
        marks.append(("merge, build state, skills", last_read[0]))
    marks.append((name, time.perf_counter()))
    return lambda: None

def read(path):
    last_read[0] = time.perf_counter()

store = open_store(sys.argv[2])
with collector_paused(keep=True):
    summary = build(files, store, progress=read, stages=stage)
marks.append(("closing the store", time.perf_counter()))
store.close()
marks.append(("end", time.perf_counter()))
seconds = {}
for (name, began), (_, ended) in zip(marks, marks[1:]):
    seconds[name] = seconds.get(name, 0.0) + ended - began
scale = 1 if sys.platform == "darwin" else 1024
print(json.dumps({"package": rolegraph.__file__,
                  "files": len(files), "classes": summary.classes, "failures": len(summary.parsed.failures),
                  "stages": seconds,
                  "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20,
                  "workers_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale / 2**20}))
"""


# Where each package of the distribution lives in the repository (pyproject.toml's package-dir), for --against.
PACKAGE_DIRS = {"graph": "rolegraph", "web": "rolegraph/web", "ontology": "rolegraph/ontology",
                "shapes": "rolegraph/shapes"}


def export_revision(revision: str, work: Path) -> Path:
    """The package as it was at git ``revision``, laid out to be imported (``<folder>/rolegraph``); the folder."""
    repository = Path(__file__).resolve().parent.parent
    folder = work / "against"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "rolegraph").mkdir(parents=True)
    for source, target in sorted(PACKAGE_DIRS.items(), key=lambda item: item[1].count("/")):
        archive = subprocess.run(["git", "-C", str(repository), "archive", "--format=tar", revision, source],
                                 capture_output=True)
        if archive.returncode != 0:
            raise SystemExit(f"bench/calhr.py: git revision {revision}: {archive.stderr.decode().strip()}")
        unpacked = folder / "unpacked"
        unpacked.mkdir()
        subprocess.run(["tar", "-x", "-C", str(unpacked)], input=archive.stdout, check=True)
        destination = folder / target
        if destination.exists():  # the package folder made above: fill it
            for item in (unpacked / source).iterdir():
                item.rename(destination / item.name)
            shutil.rmtree(unpacked)
        else:
            (unpacked / source).rename(destination)
            unpacked.rmdir()
    return folder


def timed_build(corpus: Path, store: Path, limit: int | None, package: Path | None = None) -> dict:
    """Build ``corpus`` into a fresh ``store`` in a child process (with the package in ``package``, if given)."""
    shutil.rmtree(store, ignore_errors=True)
    seconds, rss, output, cpu = run_measured([sys.executable, "-c", TIMED_BUILD, str(corpus), str(store),
                                              str(limit or "all"), *([str(package)] if package else [])])
    figures = json.loads(output.strip().splitlines()[-1])
    if package is not None and not Path(figures["package"]).resolve().is_relative_to(package.resolve()):
        raise SystemExit(f"bench/calhr.py: the build meant to run {package} imported {figures['package']}")
    return dict(figures, build=seconds, build_rss=rss, build_cpu=cpu)


def bench_corpus(name: str, corpus: Path, work: Path, limit: int | None, against: Path | None = None) -> dict:
    """Build one corpus (and with the ``against`` package, first) and load its dump; the figures of all."""
    store, baseline, dump = work / f"{name}-store", work / f"{name}-baseline", work / f"{name}.nq"
    shutil.rmtree(baseline, ignore_errors=True)
    before = timed_build(corpus, work / f"{name}-against-store", limit, against) if against else None
    figures = timed_build(corpus, store, limit)
    subprocess.run([sys.executable, "-m", "rolegraph.cli", "export", "--store", str(store), "--format", "nq",
                    "-o", str(dump)], check=True, stdout=subprocess.DEVNULL)
    with dump.open("rb") as lines:
        quads = sum(1 for _ in lines)
    load_seconds, load_rss, loaded, load_cpu = run_measured([sys.executable, "-c", LOAD_BASELINE, str(dump),
                                                             str(baseline)])
    return dict(figures, name=name, quads=quads, loaded=int(loaded.strip() or 0), load=load_seconds,
                load_rss=load_rss, load_cpu=load_cpu, before=before)


def report(row: dict) -> None:
    ratio, cpu_ratio = row["build"] / row["load"], row["build_cpu"] / row["load_cpu"]
    verdict = "within" if ratio <= TARGET_RATIO else "over"
    print(f"{row['name']}: {row['files']} files -> {row['classes']} classes, {row['failures']} failures, "
          f"{row['quads']} quads ({row['loaded']} loaded by the baseline)")
    print(f"  build {row['build']:.1f} s (CPU {row['build_cpu']:.1f} s), peak RSS {row['self_mb']:.0f} MB "
          f"(largest worker {row['workers_mb']:.0f} MB)")
    print(f"  baseline: pyoxigraph bulk_load of the N-Quads dump {row['load']:.2f} s (CPU {row['load_cpu']:.2f} s), "
          f"peak RSS {row['load_rss']:.0f} MB")
    print(f"  ratio build / load: {ratio:.1f}x wall ({verdict} the {TARGET_RATIO:.0f}x target), {cpu_ratio:.1f}x CPU")
    before = row["before"]
    if before is not None:
        print(f"  against {row['against']}: build {before['build']:.1f} s (CPU {before['build_cpu']:.1f} s), "
              f"{before['classes']} classes, ratio build / load {before['build'] / row['load']:.1f}x wall, "
              f"{before['build_cpu'] / row['load_cpu']:.1f}x CPU; this build / that one "
              f"{row['build'] / before['build']:.2f}x wall, {row['build_cpu'] / before['build_cpu']:.2f}x CPU")
    total = sum(row["stages"].values())
    earlier = before["stages"] if before is not None else {}
    for stage, seconds in row["stages"].items():
        then = f"   (against: {earlier[stage]:7.2f} s)" if stage in earlier else ""
        print(f"    {stage:<28} {seconds:7.2f} s {100 * seconds / total:5.1f}%{then}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(CORPORA), action="append", help="this corpus only (repeatable)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N files (sorted) of each corpus")
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it (default: a temporary folder)")
    parser.add_argument("--against", metavar="REV", help="also build with the package as at git revision REV")
    args = parser.parse_args(argv)
    names = args.only or list(CORPORA)
    missing = [str(CORPORA[name]) for name in names if not CORPORA[name].is_dir()]
    if missing:
        raise SystemExit(f"bench/calhr.py: corpus not found: {', '.join(missing)}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="rolegraph-bench-calhr-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        against = export_revision(args.against, work) if args.against else None
        for name in names:
            report(dict(bench_corpus(name, CORPORA[name], work, args.limit, against), against=args.against))
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (above the cores, wall times are "
              f"inflated; CPU ratios vary less)")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
