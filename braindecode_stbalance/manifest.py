"""The persisted categorisation of a windowed corpus: :class:`SeizureManifest`.

A manifest holds, for every window of a corpus, its position, seizure ratio
and category (:attr:`SeizureManifest.windows`), a summary and a fingerprint of
every recording (:attr:`SeizureManifest.recordings`) and the settings that
produced it (:attr:`SeizureManifest.settings`). It is saved as one Parquet
file with a checksum (:mod:`braindecode_stbalance._manifest_io`, never a
pickle) and loads in well under a second even for millions of windows, so a
training run can start from it without touching the corpus files.

The module is longer than the package's usual 400 lines because of its
documentation: more than half of it is the numpydoc of the public class and
its methods. The file format, building the tables, staleness and the summary
text live in ``_manifest_io``, ``_manifest_build``, ``_manifest_diff`` and
``_manifest_summary``.
"""

# License: BSD (3-clause)

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from . import _manifest_io
from ._manifest_build import LAST_WINDOW, build_tables
from ._manifest_diff import Difference
from ._manifest_diff import diff as _diff
from ._manifest_io import ManifestError, validate
from ._manifest_summary import summary, summary_table
from .categories import (
    CATEGORIES,
    CATEGORY_COLUMN,
    RATIO_COLUMN,
    RecordingName,
    categorize,
    category_codes,
    check_full_threshold,
)
from .facts import compute, corpus_facts
from .labels import SeizureLabels
from .quotas import DEFAULT_BACKGROUND_RATIO, DEFAULT_FULL_RATIO, EpochPlan

__all__ = ["ManifestError", "SeizureManifest"]



class SeizureManifest:
    """The seizure categorisation of a windowed corpus, with a fingerprint.

    Build it with :meth:`from_dataset` (from a windowed braindecode corpus),
    with :func:`~braindecode_stbalance.scan_corpus` / ``stbalance scan`` (from a
    corpus folder, reading only EDF headers and annotation files) or
    :meth:`load` (from a saved file). Train from it with
    :meth:`BalancedSeizureSampler.from_manifest
    <braindecode_stbalance.BalancedSeizureSampler.from_manifest>`.

    Parameters
    ----------
    windows : pandas.DataFrame
        One row per window in corpus order with the columns of
        :func:`~braindecode_stbalance.window_table`: ``recording``,
        ``i_window``, ``i_start_in_trial``, ``i_stop_in_trial``,
        ``seizure_ratio`` and ``seizure_category``.
    recordings : pandas.DataFrame
        One row per recording (index ``recording`` = 0, 1, ...); see Notes.
    settings : dict
        The categorisation settings: ``labels``, ``full_threshold``,
        ``window_size``/``window_stride`` (seconds), ``window_size_samples``/
        ``window_stride_samples`` and ``sfreq`` (``None`` where recordings
        differ), ``on_last_window`` (braindecode's last-window policy,
        ``"overlap"`` or ``"drop"``; ``None`` if unknown).
    provenance : dict | None
        How the manifest was made (free-form, JSON-serialisable).

    Raises
    ------
    ManifestError
        If the tables break an invariant (see :meth:`load`).

    Attributes
    ----------
    windows : pandas.DataFrame
        The window table.
    recordings : pandas.DataFrame
        Per recording: fingerprint (``path``, ``file_size``,
        ``file_mtime_ns``, ``n_times``, ``sfreq``, ``first_samp``,
        ``annotation_hash``), windowing (``window_size_samples``,
        ``window_stride_samples``, ``on_last_window``), ``duration`` (s),
        window counts (``n_windows`` and one column per category),
        ``n_seizure_events`` (merged seizure intervals) and
        ``seizure_seconds`` (seizure time of the recording, each second
        counted once; not the sum over overlapping windows).
    settings : dict
        See above.
    provenance : dict
        See above.

    Notes
    -----
    ``file_size``/``file_mtime_ns`` are -1 where a recording has no file;
    ``n_times`` is -1 and ``duration`` NaN where it is unknown (a
    ``WindowsDataset`` reloaded without its Raw). ``annotation_hash`` hashes
    the seizure annotations as (first sample, stop sample, description)
    triples, so float noise in onsets below a sample does not matter and a
    change of seizure label does.
    """

    def __init__(self, windows, recordings, settings, provenance=None):
        validate(windows, recordings, settings)
        self.windows = windows
        self.recordings = recordings
        self.settings = dict(settings)
        self.provenance = dict(provenance or {})

    # -- construction -----------------------------------------------------

    @classmethod
    def from_dataset(cls, concat_ds, labels=None, full_threshold=1.0):
        """Categorise a windowed corpus into a manifest.

        The seizure ratios are computed from the recordings' annotations by
        interval arithmetic (no EEG sample is read). If the corpus was already
        annotated (``seizure_ratio``/``seizure_category`` columns, e.g. by
        :class:`~braindecode_stbalance.SeizureRatio`), the stored columns must
        agree with the computation with ``labels`` and ``full_threshold``;
        otherwise a ``ValueError`` names the recording, so a manifest never
        records settings other than the ones that made its categories.

        Parameters
        ----------
        concat_ds : braindecode.datasets.BaseConcatDataset
            A windowed corpus of
            :class:`~braindecode.datasets.EEGWindowsDataset` or
            :class:`~braindecode.datasets.WindowsDataset` recordings.
        labels : None | collection of str | callable
            Seizure annotation descriptions; see
            :class:`~braindecode_stbalance.SeizureLabels`.
        full_threshold : float
            Ratio from which a window is ``"full_seizure"``, in (0, 1].

        Returns
        -------
        SeizureManifest
            The manifest; :attr:`windows` equals
            ``window_table(annotate_seizure_ratio(concat_ds, labels, full_threshold))``.

        Raises
        ------
        TypeError
            If the corpus is not windowed or has lazy metadata.
        ValueError
            If an annotation is invalid, or stored seizure columns disagree
            with ``labels``/``full_threshold``.
        """
        from braindecode.datasets import BaseConcatDataset

        if not isinstance(concat_ds, BaseConcatDataset):
            raise TypeError(f"concat_ds must be a braindecode BaseConcatDataset, got "
                            f"{type(concat_ds).__name__}.")
        full_threshold = check_full_threshold(full_threshold)
        labels = SeizureLabels(labels)
        records, report = corpus_facts(concat_ds.datasets, labels, with_source=True)
        result = compute(records, fingerprints=True)
        for i, ds in enumerate(concat_ds.datasets):
            _compare_stored(RecordingName(i, ds), ds, result.of(i), full_threshold)
        report.warn(f"this corpus of {len(records)} recording(s)")
        return cls.assemble(records, result, full_threshold, labels.spec,
                            provenance={"made_by": "SeizureManifest.from_dataset"})

    @classmethod
    def assemble(cls, records, result, full_threshold, labels_spec, window_size=None,
                 window_stride=None, provenance=None):
        """Build a manifest from recording facts and their :func:`~braindecode_stbalance.facts.compute` result.

        Parameters
        ----------
        records : list of RecordingFacts
            The recordings.
        result : Computed
            ``compute(records, fingerprints=True)``.
        full_threshold : float
            Ratio from which a window is ``"full_seizure"``.
        labels_spec : None | list of str | str
            :attr:`SeizureLabels.spec <braindecode_stbalance.SeizureLabels>`.
        window_size, window_stride : float | None
            Windowing in seconds (derived from the recordings if None).
        provenance : dict | None
            How the manifest was made.

        Returns
        -------
        SeizureManifest
            The manifest.
        """
        windows, recordings, settings = build_tables(
            records, result, full_threshold, labels_spec, window_size, window_stride)
        return cls(windows, recordings, settings, provenance)

    # -- persistence ------------------------------------------------------

    def save(self, path):
        """Write the manifest to one Parquet file, atomically.

        The file is written to a temporary file in the same folder, synced
        and renamed over ``path``, so an interrupted save leaves any previous
        file at ``path`` untouched; it gets the mode of the file it replaces
        (or the default of a new file under the umask).

        Parameters
        ----------
        path : str | pathlib.Path
            Output file (conventionally ``*.parquet``).

        Returns
        -------
        pathlib.Path
            ``path``.
        """
        _manifest_io.save(self, path)
        return Path(path)

    @classmethod
    def load(cls, path):
        """Read a manifest written by :meth:`save` (or ``stbalance scan``) and verify it.

        Parameters
        ----------
        path : str | pathlib.Path
            The Parquet file.

        Returns
        -------
        SeizureManifest
            The manifest.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ManifestError
            (a ``ValueError``) naming the file, if it is not a manifest of
            this format, its checksum does not match its content (damaged or
            edited), or it breaks an invariant: windows grouped and numbered
            per recording, inside their recording, ratios in [0, 1], each
            category equal to ``categorize(ratio, full_threshold)``, the
            recording table's counts equal to the window table's.
        """
        windows, recordings, settings, provenance = _manifest_io.load(path)
        self = cls.__new__(cls)
        self.windows, self.recordings = windows, recordings
        self.settings, self.provenance = settings, provenance
        return self

    # -- use with a corpus ------------------------------------------------

    def diff(self, concat_ds, strict=False, labels=None):
        """Every way in which this manifest does not describe ``concat_ds``.

        Parameters
        ----------
        concat_ds : braindecode.datasets.BaseConcatDataset | SeizureManifest
            A windowed corpus, or another manifest (e.g. a fresh scan of the
            corpus folder).
        strict : bool
            Also compare the source files' size and modification time (a
            file that was only copied then counts as changed).
        labels : None | callable
            Needed only when the manifest was made with a callable seizure
            vocabulary, which a file cannot store (its
            ``settings["labels"]`` holds the callable's name): pass the same
            callable again. Otherwise the manifest's own vocabulary is used.

        Returns
        -------
        list of Difference
            One :class:`~braindecode_stbalance._manifest_diff.Difference` per
            changed recording and field, in corpus order (empty when the
            manifest is up to date). Against another manifest, a different
            ``full_threshold`` or seizure vocabulary comes first (recording
            ``-1``). After a recording added, removed or reordered the rest is
            not compared.

        Raises
        ------
        ValueError
            If the manifest was made with a callable vocabulary and
            ``labels`` is not given, or ``labels`` is not that vocabulary.
        """
        return self._diff(concat_ds, strict, first_only=False, labels=labels)

    def _labels(self, labels):
        spec = self.settings.get("labels")
        if labels is None:
            if isinstance(spec, str):
                raise ValueError(
                    f"This manifest was made with the callable seizure vocabulary {spec!r}, "
                    "which a file cannot store: pass it again, e.g. "
                    f"manifest.check(windows, labels={spec.rpartition('.')[2]}).")
            return spec
        given = SeizureLabels(labels).spec
        if given != spec:
            raise ValueError(f"labels={given!r} is not the vocabulary this manifest was made "
                             f"with ({spec!r}).")
        return labels

    def _settings_diff(self, other):
        out = []
        for key in ("full_threshold", "labels"):
            old, new = self.settings.get(key), other.settings.get(key)
            if old != new:
                out.append(Difference(
                    -1, "", key, old, new,
                    f"Stale manifest: {key} is {new!r} in the other manifest but {old!r} in "
                    "this one, so their categories differ. Re-create the manifest "
                    "(`stbalance scan ...` or SeizureManifest.from_dataset)."))
        return out

    def _diff(self, other, strict, first_only, labels=None):
        if isinstance(other, SeizureManifest):
            found = self._settings_diff(other)
            if found and first_only:
                return found[:1]
            rows = other.recordings.to_dict("records")
            w = other.windows
            bounds = np.concatenate([[0], np.cumsum(other.recordings["n_windows"])])
            windows = [(w["i_start_in_trial"].to_numpy()[a:b], w["i_stop_in_trial"].to_numpy()[a:b])
                       for a, b in itertools.pairwise(bounds)]
            return found + _diff(self.recordings, self.windows, rows, windows, strict, first_only)
        records, _ = corpus_facts(other.datasets, self._labels(labels), with_source=True)
        rows = compute(records, fingerprints=True).rows
        windows = [(r.starts, r.stops) for r in records]
        return _diff(self.recordings, self.windows, rows, windows, strict, first_only)

    def check(self, concat_ds, strict=False, labels=None):
        """Raise if the manifest does not describe this windowed corpus.

        Parameters
        ----------
        concat_ds : braindecode.datasets.BaseConcatDataset | SeizureManifest
            A windowed corpus (or another manifest), see :meth:`diff`.
        strict : bool
            See :meth:`diff`.
        labels : None | callable
            See :meth:`diff` (only for a manifest made with a callable
            vocabulary).

        Returns
        -------
        SeizureManifest
            ``self``, to chain ``manifest.check(ds).apply(ds)``.

        Raises
        ------
        ValueError
            On the first difference (see :meth:`diff`), naming the recording
            (index and path), the field and both values.
        """
        found = self._diff(concat_ds, strict, first_only=True, labels=labels)
        if found:
            raise ValueError(found[0].message)
        return self

    def apply(self, concat_ds, target=None, check=True, labels=None):
        """Write ``seizure_ratio``/``seizure_category`` into the windows' metadata.

        Nothing is recomputed: the columns are copied from :attr:`windows`.

        Parameters
        ----------
        concat_ds : braindecode.datasets.BaseConcatDataset
            The windowed corpus this manifest describes.
        target : None | "binary" | "category" | "ratio"
            Also set the windows' target, as in
            :func:`~braindecode_stbalance.annotate_seizure_ratio`.
        check : bool
            Run :meth:`check` first (recommended; it reads only annotations
            and window positions).
        labels : None | callable
            See :meth:`diff` (only for a manifest made with a callable
            vocabulary, and only with ``check=True``).

        Returns
        -------
        braindecode.datasets.BaseConcatDataset
            ``concat_ds``, annotated in place.

        Raises
        ------
        ValueError
            If ``target`` is not one of the documented values, :meth:`check`
            finds a difference, or the corpus does not have the manifest's
            number of recordings and windows.
        """
        from .preprocessing import check_target, write_columns

        target = check_target(target)
        if check:
            self.check(concat_ds, labels=labels)
        offsets = np.concatenate([[0], np.cumsum(self.recordings["n_windows"].to_numpy())])
        if len(concat_ds.datasets) != len(self.recordings) or offsets[-1] != len(concat_ds):
            raise ValueError(
                f"The corpus has {len(concat_ds.datasets)} recordings and {len(concat_ds)} "
                f"windows, the manifest {len(self.recordings)} and {offsets[-1]}: run "
                "manifest.check(concat_ds) to see why.")
        ratio = self.windows[RATIO_COLUMN].to_numpy()
        codes = self.category_codes()
        for i, ds in enumerate(concat_ds.datasets):
            part = slice(offsets[i], offsets[i + 1])
            if len(ds) != part.stop - part.start:
                raise ValueError(
                    f"{RecordingName(i, ds)} has {len(ds)} windows but the manifest "
                    f"{part.stop - part.start}; run manifest.check(concat_ds) to see why.")
            write_columns(ds, ratio[part].copy(), codes[part], target)
        if target is not None:
            concat_ds.cumulative_sizes = concat_ds.cumsum(concat_ds.datasets)
        return concat_ds

    # -- summaries --------------------------------------------------------

    def category_codes(self):
        """Category code of every window (index into :data:`~braindecode_stbalance.CATEGORIES`).

        Returns
        -------
        ndarray of int8
            One code per window, corpus order.
        """
        return category_codes(self.windows[CATEGORY_COLUMN], "the manifest's windows")

    @property
    def window_kwargs(self):
        """Keyword arguments of braindecode's windowing that reproduce :attr:`windows`.

        Returns
        -------
        dict
            For :func:`braindecode.preprocessing.create_fixed_length_windows`:
            ``window_size_samples``, ``window_stride_samples`` and
            ``on_last_window`` (the policy the windows were made with).

        Raises
        ------
        ValueError
            If the recordings have different window sizes in samples (e.g. a
            scan of a corpus with several sampling frequencies: resample it,
            then scan with ``--sfreq``), or the windows match no fixed-length
            windowing.
        """
        size = self.settings.get("window_size_samples")
        stride = self.settings.get("window_stride_samples")
        policy = self.settings.get("on_last_window")
        if size is None or stride is None:
            raise ValueError(
                "The recordings of this manifest have different window sizes/strides in "
                "samples (different sampling frequencies); no single braindecode windowing "
                "reproduces it.")
        if policy not in LAST_WINDOW:
            raise ValueError(
                "The windows of this manifest match no create_fixed_length_windows "
                "windowing (its last-window policy is unknown): window the corpus the way "
                "the manifest was made.")
        return {"window_size_samples": int(size), "window_stride_samples": int(stride),
                "on_last_window": policy}

    def plan(self, full_ratio=DEFAULT_FULL_RATIO, background_ratio=DEFAULT_BACKGROUND_RATIO,
             anchor="partial_seizure", replacement=False):
        """The balanced epoch a sampler would draw from this manifest.

        Parameters
        ----------
        full_ratio, background_ratio, anchor, replacement
            As for :class:`~braindecode_stbalance.BalancedSeizureSampler`.

        Returns
        -------
        EpochPlan
            The quotas (see :class:`~braindecode_stbalance.quotas.EpochPlan`).
        """
        counts = tuple(int(self.recordings[c].sum()) for c in CATEGORIES)
        return EpochPlan(counts, full_ratio, background_ratio, anchor, replacement)

    def summary(self):
        """Corpus-level figures: recordings, hours, seizures, windows per category.

        Returns
        -------
        dict
            ``n_recordings``, ``hours``, ``n_seizure_events``,
            ``seizure_seconds`` (recording time, each second once),
            ``seizure_fraction`` (of the recorded time), ``n_windows``, one
            count per category, ``balanced_epoch`` (windows of one epoch with
            SeizureTransformer's defaults, see :meth:`plan`) and the settings.
        """
        return summary(self)

    def summary_table(self):
        """The :meth:`summary` as aligned text (what ``stbalance summary`` prints).

        Returns
        -------
        str
            A multi-line table.
        """
        return summary_table(self)

    def __len__(self):
        return len(self.windows)

    def __repr__(self):
        counts = {c: int(self.recordings[c].sum()) for c in CATEGORIES}
        return (f"<SeizureManifest | {len(self.recordings)} recordings, {len(self)} windows: "
                + ", ".join(f"{name} {n}" for name, n in counts.items()) + ">")


def _compare_stored(where, ds, ratio, full_threshold):
    """Raise if ``ds`` already holds seizure columns that disagree with ``ratio``."""
    from ._adapters import metadata_frames

    md = metadata_frames(ds)[-1]
    if not (isinstance(md, pd.DataFrame) and RATIO_COLUMN in md and CATEGORY_COLUMN in md):
        return
    s_ratio = md[RATIO_COLUMN].to_numpy(np.float64)
    if s_ratio.shape != ratio.shape or not np.allclose(s_ratio, ratio, rtol=0, atol=1e-12):
        j = (int(np.flatnonzero(~np.isclose(s_ratio, ratio, rtol=0, atol=1e-12))[0])
             if s_ratio.shape == ratio.shape else 0)
        raise ValueError(
            f"{where}: the stored seizure_ratio of window {j} ({s_ratio[j]!r}) differs from the "
            f"one computed from the annotations ({ratio[j]!r}): the corpus was annotated with "
            "other labels or has changed. Pass the labels used to annotate it.")
    codes = categorize(ratio, full_threshold)
    s_codes = category_codes(md[CATEGORY_COLUMN], where)
    if (codes != s_codes).any():
        j = int(np.flatnonzero(codes != s_codes)[0])
        raise ValueError(
            f"{where}: window {j} is stored as {CATEGORIES[s_codes[j]]!r} but full_threshold="
            f"{full_threshold:g} makes it {CATEGORIES[codes[j]]!r}: pass the full_threshold "
            "used to annotate the corpus.")
