"""Images pinned by tag or digest."""

from __future__ import annotations



def image_pinned(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "no tag"
    tag = last.split(":", 1)[1]
    if tag in ("latest", ""):
        return f"tag {tag!r}"
    return None
