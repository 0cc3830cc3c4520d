"""Figures of a categorisation: corpus mix vs balanced epoch, ratios, seizure burden.

One colour per category everywhere (:data:`CATEGORY_COLORS`, used by the CLI
and the examples). Figures are written atomically in the format their file
name says (PNG, PDF, SVG, ...).
"""

# License: BSD (3-clause)

from __future__ import annotations

import os

import numpy as np

from .categories import CATEGORIES, CATEGORY_COLUMN, RATIO_COLUMN

__all__ = ["CATEGORY_COLORS", "plot_manifest"]

#: The colour of each category in every figure of the package.
CATEGORY_COLORS = {"no_seizure": "#4C72B0", "partial_seizure": "#DD8452",
                   "full_seizure": "#C44E52"}
#: Readable names of the categories for axes and legends.
CATEGORY_LABELS = {"no_seizure": "no seizure", "partial_seizure": "partial seizure",
                   "full_seizure": "full seizure"}


def save_figure(fig, path, dpi=110):
    """Write ``fig`` to ``path`` atomically, in the format of its extension.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str | pathlib.Path
        Output file; its extension picks the format (``.png``, ``.pdf``,
        ``.svg``, ... any format matplotlib writes).
    dpi : float
        Resolution of raster formats.

    Returns
    -------
    str
        The format written.

    Raises
    ------
    ValueError
        If the extension is missing or not a format matplotlib can write.
    """
    from ._atomic import atomic_write

    ext = _format_of(fig, path, dpi)
    atomic_write(path, lambda f: fig.savefig(f, format=ext, dpi=dpi))
    return ext


def _format_of(fig, path, dpi):
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    supported = fig.canvas.get_supported_filetypes()
    if ext not in supported:
        raise ValueError(f"Cannot tell the figure format of {os.fspath(path)!r}: use one of the "
                         f"extensions {', '.join('.' + e for e in sorted(supported))}.")
    if not (isinstance(dpi, (int, float)) and np.isfinite(dpi) and dpi > 0):
        raise ValueError(f"dpi must be a positive number, got {dpi!r}.")
    return ext


def _integer_ticks(axis):
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def plot_manifest(manifest, path=None, dpi=110, **plan_kwargs):
    """Draw a manifest: corpus mix next to the balanced epoch mix, ratios, seizure burden.

    Panels: (1) windows per category in the corpus and in one balanced epoch
    (counts, with the share of each category); (2) the seizure ratio of the
    partial-seizure windows; (3) the seizure burden of each recording with
    seizures.

    Parameters
    ----------
    manifest : SeizureManifest
        The categorisation.
    path : str | pathlib.Path | None
        If given, write the figure there (format from the extension); the
        figure is then made outside :mod:`matplotlib.pyplot`, so no backend
        is chosen and nothing needs closing. ``None``: a pyplot figure, to
        show.
    dpi : float
        Resolution of raster formats.
    **plan_kwargs
        ``full_ratio``, ``background_ratio``, ``anchor``, ``replacement`` of
        the epoch shown (default: SeizureTransformer's).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    size = {"figsize": (15.5, 4.8), "layout": "constrained"}
    if path is None:  # a pyplot figure, to show
        import matplotlib.pyplot as plt

        fig = plt.figure(**size)
    else:  # a figure outside pyplot: no backend is chosen or changed, nothing to close
        from matplotlib.figure import Figure

        fig = Figure(**size)
        _format_of(fig, path, dpi)  # a bad extension fails before any drawing
    axes = fig.subplots(1, 3)
    s = manifest.summary()
    plan = manifest.plan(**plan_kwargs)

    ax = axes[0]
    corpus = np.array([s[c] for c in CATEGORIES])
    epoch = np.array(plan.drawn)
    width = 0.38
    x = np.arange(2)
    bottom_c, bottom_e = 0, 0
    for c, name in enumerate(CATEGORIES):
        for xi, counts, bottom in ((0, corpus, bottom_c), (1, epoch, bottom_e)):
            total = max(int(counts.sum()), 1)
            ax.bar(xi, counts[c] / total, width * 2, bottom=bottom / total,
                   color=CATEGORY_COLORS[name], label=CATEGORY_LABELS[name] if xi == 0 else None,
                   edgecolor="white")
            if counts[c]:
                ax.text(xi, (bottom + counts[c] / 2) / total,
                        f"{counts[c]:,}\n({100 * counts[c] / total:.1f} %)", ha="center",
                        va="center", fontsize=8, color="white" if counts[c] / total > 0.06
                        else "black")
        bottom_c += corpus[c]
        bottom_e += epoch[c]
    ax.set_xticks(x, [f"corpus\n{corpus.sum():,} windows",
                      f"one balanced epoch\n{epoch.sum():,} windows"])
    ax.set_ylim(0, 1)
    ax.set_ylabel("Share of windows")
    ax.set_title("Category mix: corpus vs balanced epoch")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8, frameon=False)

    ax = axes[1]
    windows = manifest.windows
    partial = windows.loc[windows[CATEGORY_COLUMN] == "partial_seizure",
                          RATIO_COLUMN].to_numpy()
    ax.hist(partial, bins=np.linspace(0, 1, 21), color=CATEGORY_COLORS["partial_seizure"],
            edgecolor="white")
    ax.set_xlim(0, 1)
    _integer_ticks(ax.yaxis)
    ax.set_xlabel("Seizure ratio of the window (share of its samples in a seizure)")
    ax.set_ylabel("Partial-seizure windows")
    st = s["settings"]
    ax.set_title(f"Seizure ratio of the {len(partial):,} partial windows "
                 f"(0 < ratio < {st.get('full_threshold', 1.0):g})")

    ax = axes[2]
    rec = manifest.recordings
    dur = rec["duration"].to_numpy()
    burden = np.where(dur > 0, rec["seizure_seconds"].to_numpy() / np.where(dur > 0, dur, 1), 0)
    with_sz = np.sort(burden[burden > 0])[::-1] * 100
    if with_sz.size:
        ax.bar(np.arange(1, with_sz.size + 1), with_sz, width=1.0,
               color=CATEGORY_COLORS["full_seizure"], edgecolor="none")
        ax.set_xlim(0.5, with_sz.size + 0.5)
        _integer_ticks(ax.xaxis)
    else:
        ax.text(0.5, 0.5, "no seizure in any recording", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_xlabel("Recordings with seizures, ranked by burden")
    ax.set_ylabel("Seizure time (% of the recording)")
    ax.set_ylim(0, min(100.0, float(with_sz.max()) * 1.15) if with_sz.size else 100.0)
    ax.set_title(f"Seizure burden: {with_sz.size:,} of {len(rec):,} recordings have seizures")

    win, stride = st.get("window_size"), st.get("window_stride")
    windowing = f", {win:g} s windows / {stride:g} s stride" if win and stride else ""
    fig.suptitle(f"{s['n_recordings']:,} recordings, {s['hours']:,.1f} h, "
                 f"{s['n_seizure_events']:,} seizure events "
                 f"({s['seizure_seconds'] / 3600:,.2f} h){windowing}")
    if path is not None:
        save_figure(fig, path, dpi=dpi)
    return fig
