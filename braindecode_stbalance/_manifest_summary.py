"""A manifest's summary: corpus-level figures and the table ``stbalance summary`` prints."""

# License: BSD (3-clause)

from __future__ import annotations

import numpy as np

from .categories import CATEGORIES

__all__ = ["summary", "summary_table"]


def summary(manifest):
    """:meth:`SeizureManifest.summary <braindecode_stbalance.SeizureManifest.summary>`."""
    rec = manifest.recordings
    duration = rec["duration"].to_numpy(np.float64)
    known = np.isfinite(duration)  # NaN: length unknown (Epochs read back from disk)
    total = float(duration[known].sum())
    counts = {name: int(rec[name].sum()) for name in CATEGORIES}
    seconds = rec["seizure_seconds"].to_numpy(np.float64)
    sz = float(seconds.sum())
    return {
        "n_recordings": len(rec),
        "hours": total / 3600.0,
        "n_seizure_events": int(rec["n_seizure_events"].sum()),
        "seizure_seconds": sz,
        # over the recordings of known length only, numerator and denominator alike
        "seizure_fraction": float(seconds[known].sum()) / total if total > 0 else float("nan"),
        "n_windows": int(rec["n_windows"].sum()),
        **counts,
        "balanced_epoch": manifest.plan().length,
        "settings": dict(manifest.settings),
    }


def summary_table(manifest):
    """:meth:`SeizureManifest.summary_table <braindecode_stbalance.SeizureManifest.summary_table>`."""
    s = manifest.summary()
    st = s["settings"]
    n = max(s["n_windows"], 1)

    def secs(x):
        return "n/a" if x is None else f"{x:g} s"

    sfreq = st.get("sfreq")
    fraction = s["seizure_fraction"]
    lines = [
        ("recordings", f"{s['n_recordings']:,}"),
        ("hours", f"{s['hours']:,.2f}"),
        ("seizure events", f"{s['n_seizure_events']:,}"),
        ("seizure seconds", f"{s['seizure_seconds']:,.1f}" + (
            f" ({100 * fraction:.2f} % of time)" if np.isfinite(fraction) else "")),
        ("window / stride", f"{secs(st.get('window_size'))} / {secs(st.get('window_stride'))}"
         + (f" at {sfreq:g} Hz" if sfreq else " (several sampling rates)")),
        ("last window", str(st.get("on_last_window") or "unknown")),
        ("full_threshold", f"{st.get('full_threshold'):g}"),
        ("windows", f"{s['n_windows']:,}"),
    ]
    for name in CATEGORIES:
        lines.append((f"  {name}", f"{s[name]:,} ({100 * s[name] / n:.2f} %)"))
    plan = manifest.plan()
    lines.append(("balanced epoch", plan.formula() if plan.base else "0 (no partial window)"))
    width = max(len(k) for k, _ in lines)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in lines)
