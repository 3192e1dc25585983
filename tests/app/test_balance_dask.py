"""``balance`` on a Dask cluster: byte for byte the single-process output.

One LocalCluster of two worker processes serves the module; the S3 test runs
the CLI with ``--dask local:2`` against a moto server on 127.0.0.1, and the
``memory://`` test uses an in-process cluster (memory:// is per process).
"""

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixsmote._errors import DataError, UsageError
from pixsmote.app import balance, balance_on_dask, parse_dask_address
from pixsmote.app._balance_dask import synthesis_groups
from pixsmote.cli import main
from pixsmote.data import load_dataset

distributed = pytest.importorskip("distributed")


def _write_source(root: Path) -> Path:
    """Three classes of tiny RGB PNGs (36/9/12), with the cases naming must get
    right: a grey file (converted, so written as .png), a JPEG, a nested
    sub-folder, and an original whose name a synthetic image would take."""
    rng = np.random.default_rng(0)
    for label, (cls, n) in enumerate((("big", 36), ("small", 9), ("mid", 12))):
        (root / cls).mkdir(parents=True)
        proto = rng.integers(0, 200, (6, 5, 3))
        for j in range(n):
            px = np.clip(proto + rng.integers(0, 50, (6, 5, 3)) + 10 * label, 0, 255)
            Image.fromarray(px.astype(np.uint8)).save(root / cls / f"{j:03d}.png")
    (root / "small" / "nested").mkdir()
    Image.fromarray(rng.integers(0, 255, (6, 5, 3), dtype=np.uint8)).save(
        root / "small" / "nested" / "a.png"
    )
    Image.fromarray(rng.integers(0, 255, (6, 5), dtype=np.uint8)).save(
        root / "small" / "grey.png"
    )
    Image.fromarray(rng.integers(0, 255, (6, 5, 3), dtype=np.uint8)).save(
        root / "mid" / "photo.jpg", quality=90
    )
    Image.fromarray(rng.integers(0, 255, (6, 5, 3), dtype=np.uint8)).save(
        root / "mid" / "synthetic_000001.png"
    )
    return root


def _local_files(root: Path) -> dict:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _fs_files(fs, root: str) -> dict:
    fs.invalidate_cache()
    root = root.rstrip("/")
    return {p[len(root) + 1 :]: fs.cat_file(p) for p in fs.find(root)}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return _write_source(tmp_path_factory.mktemp("dask") / "src")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
        silence_logs=40,
    ) as cluster, distributed.Client(cluster) as c:  # fmt: skip
        yield c


@pytest.fixture(scope="module")
def reference(source, tmp_path_factory):
    """Single-process outputs, by method."""
    out = {}
    root = tmp_path_factory.mktemp("reference")
    for method in ("smote", "ros", "smote-enn"):
        balance(load_dataset(source), root / method, method, seed=7, k_neighbors=3)
        out[method] = _local_files(root / method)
    return out


@pytest.mark.parametrize("method", ["smote", "ros", "smote-enn"])
def test_local_folder_is_byte_identical(method, source, client, reference, tmp_path):
    dst = tmp_path / "out"
    result = balance(
        load_dataset(source), dst, method, seed=7, k_neighbors=3, client=client
    )
    files = _local_files(dst)
    assert files == reference[method]
    assert result.dst == dst and result.manifest == dst / "manifest.csv"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    if method == "smote":  # synthetic names skipped the original's name
        manifest = files["manifest.csv"].decode()
        assert "mid/synthetic_000001_1.png" in manifest
        assert "small/grey.png" in files and "mid/photo.jpg" in files


def test_path_source_and_small_chunks(source, client, reference, tmp_path):
    # a folder path (not a Dataset) and one image per task: the same bytes
    balance_on_dask(str(source), tmp_path / "o", "smote", client=client, seed=7,
                    k_neighbors=3, chunk_size=1)  # fmt: skip
    assert _local_files(tmp_path / "o") == reference["smote"]


def test_k_neighbors_auto_as_in_balance(source, client, tmp_path):
    # "auto" goes through to the sampler as in a local run: a class of 3 images
    # is sampled with 2 neighbours, in both runs, with the same bytes; both
    # warnings name the class by its folder.
    dataset = load_dataset(source)
    small = dataset.class_names.index("small")
    keep = np.flatnonzero(dataset.y != small)
    dataset = dataset.subset(np.r_[keep, np.flatnonzero(dataset.y == small)[:3]])
    outputs = []
    for name, kwargs in (("local", {}), ("dask", {"client": client})):
        with pytest.warns(UserWarning, match="Class 'small' has 3 .*k_neighbors=2"):
            balance(dataset, tmp_path / name, "smote", seed=7, k_neighbors="auto",
                    **kwargs)  # fmt: skip
        outputs.append(_local_files(tmp_path / name))
    assert outputs[0] == outputs[1]


def test_sampler_params_reach_the_cluster(source, client, tmp_path):
    # The study's best recipe needs synthetic_share: the same bytes on Dask.
    dataset = load_dataset(source)
    share = {"synthetic_share": 0.5}
    for name, kwargs in (("local", {}), ("dask", {"client": client})):
        balance(dataset, tmp_path / name, "smote", seed=7, k_neighbors=3,
                sampler_params=share, **kwargs)  # fmt: skip
    local, dask = _local_files(tmp_path / "local"), _local_files(tmp_path / "dask")
    assert local == dask
    assert b'"synthetic_share": 0.5' in dask[".pixsmote.json"]
    assert dask["manifest.csv"].count(b",ros\r\n") > 0  # the share's copies


#: Tiny networks: each sampler trains in about a second.
_OWN_SYNTHESIS = {
    "deepsmote": {"epochs": 2, "latent_dim": 8, "width": 4, "batch_size": 16},
    "m2m": {"classifier_epochs": 2, "width": 4, "steps": 3},
    "shape-transfer": {"iterations": 5},
}


@pytest.mark.parametrize("method", sorted(_OWN_SYNTHESIS))
def test_samplers_with_their_own_synthesis_run_it_on_the_workers(
    method, source, client, tmp_path
):
    """DeepSMOTE's, M2m's and ShapeTransfer's pixels come from their own
    synthesis, not from pixel interpolation of their plan (what the workers
    did before)."""
    from pixsmote.data import read_manifest
    from pixsmote.sampling import Plan, synthesize

    dataset = load_dataset(source)
    params = _OWN_SYNTHESIS[method]
    for name, kwargs in (("local", {}), ("dask", {"client": client})):
        balance(dataset, tmp_path / name, method, seed=7, k_neighbors=3,
                sampler_params=params, **kwargs)  # fmt: skip
    local, dask = _local_files(tmp_path / "local"), _local_files(tmp_path / "dask")
    assert local.keys() == dask.keys()
    assert local["manifest.csv"] == dask["manifest.csv"]
    rows = read_manifest(tmp_path / "dask" / "manifest.csv")
    made = [r for r in rows if r.origin == "synthetic" and r.method == method]
    assert made

    def pixels(root, rel):
        return np.asarray(Image.open(root / rel).convert("RGB"), dtype=np.int16)

    for r in rows:
        if r.origin == "original":
            assert local[r.path] == dask[r.path]
    # A network's last float bits depend on its batch: a decoded pixel may
    # round one grey level apart, never more, and rarely.
    diff = np.stack([
        np.abs(pixels(tmp_path / "local", r.path) - pixels(tmp_path / "dask", r.path))
        for r in made
    ])  # fmt: skip
    assert diff.max() <= 1 and np.mean(diff > 0) < 0.01
    # Not what interpolating the parents' pixels gives.
    parents = [(pixels(tmp_path / "dask", r.parent_a),
                pixels(tmp_path / "dask", r.parent_b)) for r in made]  # fmt: skip
    lerp = [
        synthesize(np.stack([a, b]).astype(np.uint8),
                   Plan(np.array([0]), np.array([0]), np.array([1]),
                        gap=np.array([float(r.gap)])))[0]
        for (a, b), r in zip(parents, made, strict=True)
    ]  # fmt: skip
    assert not all(
        np.array_equal(pixels(tmp_path / "dask", r.path), p)
        for r, p in zip(made, lerp, strict=True)
    )


def test_sampler_refusals_name_the_class(source, client, tmp_path):
    with pytest.raises(UsageError, match=r"smote: Class '(mid|small)' has \d+ sample"):
        balance(load_dataset(source), tmp_path / "o", "smote", seed=7,
                k_neighbors=20, client=client)  # fmt: skip
    assert not (tmp_path / "o").exists()


def test_memory_urls_are_byte_identical(source, reference):
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    fs.put(str(source), "/dasksrc", recursive=True)
    try:
        with distributed.Client(
            processes=False, n_workers=2, threads_per_worker=1,
            dashboard_address=":0",
        ) as c:  # fmt: skip
            result = balance(
                "memory://dasksrc", "memory://daskout", "smote", seed=7,
                k_neighbors=3, client=c,
            )  # fmt: skip
        assert result.dst == "memory://daskout"
        assert _fs_files(fs, "/daskout") == reference["smote"]
        assert not [p for p in fs.ls("/") if ".daskout." in p["name"]]
    finally:
        for path in ("/dasksrc", "/daskout"):
            if fs.exists(path):
                fs.rm(path, recursive=True)


def test_memory_urls_with_reading_options_and_overwrite(source, tmp_path):
    """A URL source resized (nothing copyable), one unreadable file skipped,
    written twice over the same destination: the single-process bytes."""
    import shutil

    fsspec = pytest.importorskip("fsspec")
    src = tmp_path / "src"
    shutil.copytree(source, src)
    (src / "big" / "broken.png").write_bytes(b"not an image")
    balance(load_dataset(src, size="4x3", skip_bad=True), tmp_path / "ref", "smote",
            seed=1, k_neighbors=3)  # fmt: skip
    fs = fsspec.filesystem("memory")
    fs.put(str(src), "/optsrc", recursive=True)
    try:
        with distributed.Client(
            processes=False, n_workers=1, threads_per_worker=1,
            dashboard_address=":0",
        ) as c:  # fmt: skip
            for _ in range(2):
                result = balance_on_dask(
                    "memory://optsrc", "memory://optout", "smote", client=c, seed=1,
                    k_neighbors=3, size="4x3", skip_bad=True, overwrite=True,
                )  # fmt: skip
        assert [p for p, _ in result.skipped] == ["/optsrc/big/broken.png"]
        assert _fs_files(fs, "/optout") == _local_files(tmp_path / "ref")
    finally:
        for path in ("/optsrc", "/optout"):
            if fs.exists(path):
                fs.rm(path, recursive=True)


def test_memory_urls_need_workers_in_this_process(client):
    with pytest.raises(UsageError, match="memory:// is private to one process"):
        balance("memory://nothing", "memory://out", client=client)


class _KillFirstSynthesis(distributed.WorkerPlugin):
    """Kill the worker process as it starts the first synthesis task of the run
    (once: a flag file remembers), as a machine lost mid-run would."""

    def __init__(self, flag):
        self.flag = flag

    def transition(self, key, start, finish, **kwargs):
        if (
            finish == "executing"
            and str(key).startswith("pixsmote-synthesize")
            and not os.path.exists(self.flag)
        ):
            with open(self.flag, "w") as fh:
                fh.write(str(os.getpid()))
            os._exit(1)


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie is dead, not yet reaped


def test_a_killed_worker_is_retried(source, client, reference, tmp_path):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    flag = tmp_path / "killed"
    client.register_plugin(_KillFirstSynthesis(str(flag)), name="kill-once")
    try:
        balance(load_dataset(source), tmp_path / "o", "smote", seed=7,
                k_neighbors=3, client=client, chunk_size=4)  # fmt: skip
    finally:
        client.unregister_worker_plugin("kill-once")
    assert not _alive(int(flag.read_text()))  # the worker did die
    assert _local_files(tmp_path / "o") == reference["smote"]


def test_a_failed_run_leaves_no_output(source, client, tmp_path):
    import shutil

    src = tmp_path / "src"
    shutil.copytree(source, src)
    data = (src / "big" / "000.png").read_bytes()
    (src / "big" / "000.png").write_bytes(data[: len(data) // 2])  # header intact
    dataset = load_dataset(src)
    with pytest.raises(DataError, match=r"Cannot read image .*Removed the partial"):
        balance(dataset, tmp_path / "out", "smote", client=client, k_neighbors=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_destination_rules(source, client, tmp_path):
    (tmp_path / "exists").mkdir()
    with pytest.raises(UsageError, match="already exists"):
        balance(load_dataset(source), tmp_path / "exists", client=client)
    with pytest.raises(UsageError, match="would replace the input"):
        balance(load_dataset(source), source, client=client, overwrite=True)
    with pytest.raises(UsageError, match="writes a folder"):
        balance(load_dataset(source), tmp_path / "o.npz", client=client)


def test_a_local_destination_is_locked_as_by_the_single_process_writer(
    source, client, reference, tmp_path
):
    """Another run holding the destination's lock (here: this process, as the
    single-process writer does) refuses the Dask run, naming the holder, and
    leaves nothing; once released, the run writes and releases the lock."""
    from pixsmote.data._atomic import release_lock, take_lock
    from pixsmote.data._destination import work_paths

    dst = tmp_path / "out"
    lock_path = work_paths(dst)[2]
    lock = take_lock(dst, lock_path)
    try:
        with pytest.raises(DataError, match=rf"being written by another pixsmote "
                           rf"run \(PID {os.getpid()}"):  # fmt: skip
            balance(load_dataset(source), dst, "smote", seed=7, k_neighbors=3,
                    client=client)  # fmt: skip
    finally:
        release_lock(lock, lock_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    balance(load_dataset(source), dst, "smote", seed=7, k_neighbors=3, client=client)
    assert _local_files(dst) == reference["smote"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_leftovers_of_a_killed_run_are_cleaned_by_a_dask_run(
    source, client, reference, tmp_path, capsys
):
    import subprocess

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a PID that no longer runs
    dst = tmp_path / "out"
    left = tmp_path / f".out.pixsmote-{dead.pid}.tmp"
    (left / "big").mkdir(parents=True)
    (left / "big" / "half.png").write_bytes(b"\x89PNG")
    balance(load_dataset(source), dst, "smote", seed=7, k_neighbors=3, client=client)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert _local_files(dst) == reference["smote"]
    assert "left by an interrupted run" in capsys.readouterr().err


def test_s3_over_moto_with_the_cli(tmp_path, monkeypatch, capsys):
    # few images: every one is a few requests to the moto server
    source = tmp_path / "src"
    for label, (cls, n) in enumerate((("many", 8), ("few", 3))):
        (source / cls).mkdir(parents=True)
        for j in range(n):
            px = np.full((4, 4, 3), 30 * j + 100 * label, dtype=np.uint8)
            Image.fromarray(px).save(source / cls / f"{j}.png")
    balance(load_dataset(source), tmp_path / "reference", seed=7, k_neighbors=2)
    pytest.importorskip("s3fs")
    server_mod = pytest.importorskip("moto.server")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        port = server.get_host_and_port()[1]
        for name, value in (
            ("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_SESSION_TOKEN", "testing"), ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}"),
        ):  # fmt: skip
            monkeypatch.setenv(name, value)
        import s3fs

        fs = s3fs.S3FileSystem(skip_instance_cache=True)
        fs.mkdir("pixsmote-test")
        fs.put(str(source), "pixsmote-test/src", recursive=True)
        code = main([
            "balance", "s3://pixsmote-test/src", "--out", "s3://pixsmote-test/out",
            "--dask", "local:2", "--seed", "7", "--k-neighbors", "2",
        ])  # fmt: skip
        out = capsys.readouterr()
        assert code == 0, out.err
        assert "written: s3://pixsmote-test/out" in out.out
        assert _fs_files(fs, "pixsmote-test/out") == _local_files(
            tmp_path / "reference"
        )
        assert [p for p in fs.ls("pixsmote-test") if ".out." in p] == []
    finally:
        server.stop()


@pytest.mark.parametrize(
    "address, code, message",
    [
        ("banana", 2, "--dask must be a scheduler address"),
        ("local:0", 2, "--dask must be a scheduler address"),
        ("tcp://127.0.0.1:1", 1, "Cannot reach the Dask scheduler at tcp://127.0.0.1:1"),
    ],
)
def test_bad_and_unreachable_addresses(address, code, message, source, tmp_path,
                                       capsys):  # fmt: skip
    argv = ["balance", str(source), "--out", str(tmp_path / "o"), "--dask", address,
            "--dask-timeout", "1"]  # fmt: skip
    assert main(argv) == code
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_synthesis_groups_keep_small_classes_whole():
    rng = np.random.default_rng(0)
    cls = np.repeat([0, 1, 2, 3], [5, 3, 23, 4])
    perm = rng.permutation(len(cls))
    cls, base = cls[perm], rng.integers(0, 50, len(cls))
    groups = synthesis_groups(cls, base, rows=8)
    assert np.array_equal(np.sort(np.concatenate(groups)), np.arange(len(cls)))
    assert all(len(g) <= 8 and np.all(np.diff(g) > 0) for g in groups)
    for c in (0, 1, 3):  # at most 8 rows: one task
        assert sum(np.any(cls[g] == c) for g in groups) == 1
    big = [g for g in groups if np.all(cls[g] == 2)]
    assert [len(g) for g in big] == [8, 8, 7]  # near-equal parts
    spans = [(base[g].min(), base[g].max()) for g in big]
    assert all(hi <= lo for (_, hi), (lo, _) in zip(spans, spans[1:], strict=False))


def test_addresses_parse():
    assert parse_dask_address("local:3") == ("local", 3)
    assert parse_dask_address("tcp://10.0.0.5:8786") == ("scheduler", "tcp://10.0.0.5:8786")
    assert parse_dask_address("tls://[::1]:8786")[0] == "scheduler"


def test_without_dask_installed(source, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    argv = ["balance", str(source), "--out", str(tmp_path / "o"), "--dask", "local:1"]
    assert main(argv) == 2
    assert "pip install 'pixsmote[distributed]'" in capsys.readouterr().err


def test_storage_options_need_dask_and_json(source, tmp_path, capsys):
    base = ["balance", str(source), "--out", str(tmp_path / "o")]
    assert main([*base, "--storage-options", "{}"]) == 2
    assert "need --dask" in capsys.readouterr().err
    assert main([*base, "--dask", "local:1", "--storage-options", "[1]"]) == 2
    assert "must be a JSON object" in capsys.readouterr().err


def test_cli_with_a_scheduler_address(source, client, reference, tmp_path,
                                      capsys):  # fmt: skip
    """``--dask tcp://...``: the CLI connects to a running scheduler (the
    module's cluster) and writes a local folder with its workers."""
    address = client.scheduler.address
    assert address.startswith("tcp://")
    code = main(["balance", str(source), "--out", str(tmp_path / "o"), "--dask",
                 address, "--seed", "7", "--k-neighbors", "3"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert _local_files(tmp_path / "o") == reference["smote"]
    assert f"written: {tmp_path / 'o'}" in captured.out


def test_storage_options_need_a_client(source, tmp_path):
    with pytest.raises(UsageError, match="need a Dask client"):
        balance(load_dataset(source), tmp_path / "o", storage_options={})
