"""LeaP peer routing: which still-running paths hear which summaries (Luo et al., 2025)."""

from __future__ import annotations

from typing import Literal

Router = Literal["dispersed", "clustered", "hybrid"]
ROUTERS: tuple[Router, ...] = ("dispersed", "clustered", "hybrid")


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions) between two strings."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def similarity(a: str, b: str) -> float:
    """Normalised Levenshtein similarity, 1 − lev(a, b) / max(|a|, |b|); 1.0 for two empties."""
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - levenshtein(a, b) / longest


def route_peers(summaries: dict[int, str], router: Router, top_k: int) -> dict[int, list[int]]:
    """Pick up to `top_k` peers for every path from the summaries of the running paths.

    dispersed: the least similar; clustered: the most similar; hybrid: ⌊k/2⌋ least similar,
    then the rest most similar. Equal similarities go to the lower path index.
    """
    if router not in ROUTERS:
        raise ValueError(f"unknown router {router!r}; choose one of {', '.join(ROUTERS)}")
    scores = {(i, j): similarity(summaries[i], summaries[j])
              for i in summaries for j in summaries if i < j}
    routes: dict[int, list[int]] = {}
    for i in sorted(summaries):
        others = [j for j in sorted(summaries) if j != i]
        least = sorted(others, key=lambda j: (scores[min(i, j), max(i, j)], j))
        most = sorted(others, key=lambda j: (-scores[min(i, j), max(i, j)], j))
        n_least = {"dispersed": top_k, "clustered": 0, "hybrid": top_k // 2}[router]
        chosen = least[:n_least]
        chosen += [j for j in most if j not in chosen][: max(top_k - len(chosen), 0)]
        routes[i] = chosen
    return routes
