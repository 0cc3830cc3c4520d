"""A stale or damaged cache is detected and named, never silently used."""

# License: BSD (3-clause)

import json
import os
import shutil

import mne
import pytest
from cache_data import WINDOW, make_preprocessed, reread

from braindecode_stbalance import SeizureManifest
from braindecode_stbalance.cache import (
    CacheError,
    StaleCacheError,
    build_cache,
    load_cache,
)


@pytest.fixture
def built(tmp_path):
    source = make_preprocessed(tmp_path / "edf", n_recordings=3, seed=5)
    cached = build_cache(source, tmp_path / "cache", progress=False)
    return source, cached, tmp_path


def _rebuilt(tmp_path, **kwargs):
    """The same EDF files, read again (not rewritten), with other settings."""
    return reread(tmp_path / "edf", **kwargs)


def test_up_to_date_cache_has_no_difference(built):
    source, cached, tmp_path = built
    assert cached.diff() == [] and cached.diff(source) == [] and cached.diff(source, True) == []
    assert cached.diff(SeizureManifest.from_dataset(source)) == []
    assert load_cache(tmp_path / "cache").check(_rebuilt(tmp_path)) is not None


def test_changed_source_file_is_named_when_opening(built):
    source, _, tmp_path = built
    path = source.datasets[1].description["path"]
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(StaleCacheError, match=r"Recording 1 \(.*rec_001\.edf\) changed") as err:
        load_cache(tmp_path / "cache")
    assert err.value.differences[0].field == "file_mtime_ns"
    # the content is the same: a full comparison with the corpus finds nothing
    opened = load_cache(tmp_path / "cache", check_sources=False)
    assert opened.diff(_rebuilt(tmp_path)) == []
    assert [d.field for d in opened.diff(_rebuilt(tmp_path), strict=True)] == ["file_mtime_ns"]
    os.remove(path)
    with pytest.raises(StaleCacheError, match="source file is missing"):
        load_cache(tmp_path / "cache")


def test_other_preprocessing_is_named(built):
    _, cached, tmp_path = built
    found = cached.diff(_rebuilt(tmp_path, h_freq=12.0))
    assert {d.field for d in found} == {"preprocessing"} and len(found) == 3
    assert "Recording 0" in found[0].message and "h_freq=12.0" in found[0].message
    assert "h_freq=10.0" in found[0].message
    with pytest.raises(StaleCacheError, match="preprocessed differently"):
        cached.check(_rebuilt(tmp_path, microvolts=True))


def test_other_windowing_is_named(built):
    _, cached, tmp_path = built
    found = cached.diff(_rebuilt(tmp_path, stride=WINDOW))
    assert found and found[0].field == "n_windows" and "re-windowed" in found[0].message
    assert found[0].message.startswith("Stale cache: Recording 0")


def test_changed_annotations_are_named(built):
    source, cached, _ = built
    raw = source.datasets[2].raw
    raw.set_annotations(raw.annotations + mne.Annotations([100.0], [20.0], ["seiz"],
                                                          orig_time=raw.annotations.orig_time))
    with pytest.raises(StaleCacheError, match=r"Recording 2 .*annotation_hash"):
        cached.check(source)


def test_added_or_removed_recordings_are_named(built, tmp_path):
    source, cached, _ = built
    fewer = source.split([[0, 1]])["0"]
    assert [d.field for d in cached.diff(fewer)] == ["removed"]
    more = make_preprocessed(tmp_path / "edf4", n_recordings=4, seed=5)
    assert cached.diff(more)[0].field in ("added", "removed", "reordered")


def _corrupt(path, offset=-10):
    with open(path, "r+b") as f:
        f.seek(offset, os.SEEK_END)
        byte = f.read(1)
        f.seek(offset, os.SEEK_END)
        f.write(bytes([byte[0] ^ 0xFF]))


def test_damaged_or_edited_caches_raise_cache_errors(built):
    _, _, tmp_path = built
    folder = tmp_path / "cache"
    data = next(folder.glob("data-*"))
    index = json.loads((folder / "index.json").read_text())
    index["scale"] = 1.0
    (folder / "index.json").write_text(json.dumps(index))
    with pytest.raises(CacheError, match="checksum of index.json"):
        load_cache(folder)
    build_cache(_rebuilt(tmp_path), folder, progress=False)
    data = next(folder.glob("data-*"))
    _corrupt(data / "windows.parquet", offset=-100)
    with pytest.raises(CacheError, match="windows.parquet does not match"):
        load_cache(folder)
    build_cache(_rebuilt(tmp_path), folder, progress=False)
    data = next(folder.glob("data-*"))
    with open(data / "r000001.npy", "r+b") as f:
        f.truncate(os.path.getsize(data / "r000001.npy") - 2)
    with pytest.raises(CacheError, match="recording 1, .*truncated"):
        load_cache(folder)
    build_cache(_rebuilt(tmp_path), folder, progress=False)
    data = next(folder.glob("data-*"))
    _corrupt(data / "r000002.npy")
    opened = load_cache(folder)  # sizes match: only a full verification sees the bytes
    with pytest.raises(CacheError, match="recording 2 .*checksum"):
        opened.verify()
    shutil.rmtree(data)
    with pytest.raises(CacheError, match="data folder"):
        load_cache(folder)


def test_stale_cache_error_is_a_value_error_listing_differences(built):
    _, cached, tmp_path = built
    with pytest.raises(ValueError) as err:
        cached.check(_rebuilt(tmp_path, h_freq=12.0))
    assert isinstance(err.value, StaleCacheError) and len(err.value.differences) == 1
    assert str(err.value) == err.value.differences[0].message
