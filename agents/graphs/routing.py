"""LeaP peer routing: which still-running paths hear which summaries (Luo et al., 2025)."""

from __future__ import annotations

import random
from typing import Literal

import Levenshtein

Router = Literal["dispersed", "clustered", "hybrid", "random"]
ROUTERS: tuple[Router, ...] = ("dispersed", "clustered", "hybrid", "random")


def similarity(a: str, b: str) -> float:
    """`Levenshtein.ratio`, as upstream routes: 1 − InDel(a, b) / (|a| + |b|); 1.0 for two empties.

    This is not 1 − lev / max: `ratio` counts a substitution as a deletion plus an insertion.
    """
    return Levenshtein.ratio(a, b)


def route_peers(summaries: dict[int, str], router: Router, top_k: int,
                rng: random.Random | None = None) -> dict[int, list[int]]:
    """Pick up to `top_k` peers for every path from the summaries of the running paths.

    dispersed: the least similar; clustered: the most similar; hybrid: ⌊k/2⌋ least similar,
    then the rest most similar; random: `top_k` others drawn with `rng`. Equal similarities go
    to the lower path index (upstream's stable sort over ascending indices does the same).
    """
    if router not in ROUTERS:
        raise ValueError(f"unknown router {router!r}; choose one of {', '.join(ROUTERS)}")
    if router == "random":
        rng = rng or random.Random(0)
        return {i: rng.sample([j for j in sorted(summaries) if j != i],
                              min(top_k, len(summaries) - 1)) for i in sorted(summaries)}
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
