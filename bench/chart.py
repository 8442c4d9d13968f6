"""Draws a benchmark run's table as a PNG: each scenario's rate beside its
ceiling (log scale), labelled with the ratio. Usage: chart.py RESULTS.tsv OUT.png TITLE"""

import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(results: str, out: str, title: str) -> None:
    with open(results, newline="") as file:
        rows = [row for row in csv.reader(file, delimiter="\t") if row]
    names = [row[0] for row in rows]
    rates = [float(row[1]) for row in rows]
    ceilings = [float(row[6]) for row in rows]
    labels = [row[5] for row in rows]

    height = 0.38
    ys = range(len(rows))
    fig, ax = plt.subplots(figsize=(10, 0.7 * len(rows) + 1.5))
    ax.barh([y + height / 2 for y in ys], ceilings, height, color="#c7d2fe", label="ceiling")
    ax.barh([y - height / 2 for y in ys], rates, height, color="#4338ca", label="GoKart")
    for y, rate, ceiling, label in zip(ys, rates, ceilings, labels):
        ratio = f"{100 * rate / ceiling:.0f}%" if ceiling > 0 else "-"
        ax.text(rate * 1.08, y - height / 2, f"{rate:,.0f}/s  ({ratio})", va="center", fontsize=8)
        ax.text(ceiling * 1.08, y + height / 2, f"{label}: {ceiling:,.0f}/s", va="center",
                fontsize=7, color="#52525b")
    ax.set_yticks(list(ys))
    ax.set_yticklabels(names)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(1, max(ceilings + rates) * 30)
    ax.set_xlabel("per second (log scale)")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
