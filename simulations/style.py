"""One figure style for every experiment: readable at column width, no chart junk."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # figures are files; never open a window (CI and clusters have no display)
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["figure", "COLORS"]

#: Colours used consistently across figures: without / with the mechanism, and the target.
COLORS = {"without": "#9e9e9e", "with": "#1f77b4", "target": "#d62728", "block": "#2ca02c", "boost": "#ff7f0e"}

_RC = {
    "font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 7,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.spines.top": False,
    "axes.spines.right": False, "figure.dpi": 150,
}
# No "savefig.bbox": "tight": the constrained layout already fits titles, panel letters and
# legends into the figure, and a tight bounding box draws every figure twice per file. That
# second draw was a third of each point of a compiled-once cpp_standalone sweep (issue 15).


def figure(ncols: int = 2, nrows: int = 1, width: float = 9.0, height: float = 2.8, title: str | None = None):
    """A figure and a flat list of axes in the project style."""
    # set for the whole process: text added after creation (titles, legends) follows it too
    plt.rcParams.update(_RC)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height * nrows), squeeze=False)
    for letter, ax in zip("ABCDEFGHIJKL", axes.flat):
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.text(-0.12, 1.06, letter, transform=ax.transAxes, fontweight="bold", fontsize=10, va="bottom")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.set_layout_engine("constrained")
    return fig, list(axes.flat)
