"""Ways the same bytes can arrive from the network."""

from __future__ import annotations

import itertools

from hypothesis import strategies as st

__all__ = ["chunkings"]


@st.composite
def chunkings(draw: st.DrawFn, data: bytes, *, max_pieces: int = 32) -> list[bytes]:
    """``data`` cut into pieces at random places (never an empty piece; ``[]`` for no data).

    Shrinks towards fewer cuts, so a failure is reported with the simplest chunking that shows it.
    """
    if not data:
        return []
    cuts = draw(
        st.lists(st.integers(1, max(len(data) - 1, 1)), max_size=max_pieces - 1, unique=True)
    )
    points = [0, *sorted(c for c in cuts if c < len(data)), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]
