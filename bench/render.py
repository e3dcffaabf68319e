"""How long `render_markdown` takes on hostile Markdown and on a 1 MB document.

Run from the repo root: `.venv/bin/python bench/render.py`. Each input is rendered by the
portal's renderer (markdown-it-py, then nh3), best of ROUNDS, timed in CPU seconds of this
process (on this shared 2-core host, wall time under load is two to three times that). While
Python-Markdown is still importable, the renderer it replaced (its extensions and the same nh3
pass, as portal/markdown.py had them) renders each input once in a child process, stopped after
OLD_BUDGET_S: on runs of `[` it is quadratic, and 10,000 of them would take minutes.

The inputs: issue 18's (10,000 `[`, 50,000 `*`, 10,000 nested `>`, 10,000 backticks), the worst
patterns found for markdown-it at the longest text a case or reply may hold
(portal.markdown.MAX_LENGTH), and a 1 MB mixed document. The floor: every input within
MAX_LENGTH renders in under FLOOR_CAPPED_S, and the 1 MB document in under FLOOR_MEGABYTE_S;
the script exits non-zero otherwise. The 50,000 `*` and the 1 MB document are longer than a
field may be, so the portal never renders them whole; they are timed to compare the parsers.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal.markdown import MAX_LENGTH, render_markdown  # noqa: E402

ROUNDS = 3  # best of: other jobs on the machine only ever add time
OLD_BUDGET_S = 30.0  # gunicorn's worker timeout: past it, the request is lost anyway
FLOOR_CAPPED_S = 1.5
FLOOR_MEGABYTE_S = 10.0

SECTION = """## Section {n}

The **export** of *batch {n}* fails: see [the log](https://example.com/logs/{n}) and <https://example.com/{n}>.
<img src=x onerror=alert({n})> and [click](javascript:alert({n})) stay harmless.

- step one
- step `two <b>`
  1. nested

> quoted <script>alert({n})</script>

```xml
<configuration><add key="Timeout" value="{n}"/></configuration>
```

| key | value |
| --- | --- |
| n | {n} |

"""


def _megabyte() -> str:
    text, n = [], 0
    while sum(map(len, text)) < 1_000_000:
        text.append(SECTION.format(n=n))
        n += 1
    return "".join(text)


def _cut(pattern: str, length: int = MAX_LENGTH) -> str:
    return (pattern * (length // len(pattern) + 1))[:length]


INPUTS: list[tuple[str, str, bool]] = [
    # (what, text, capped: at most MAX_LENGTH, so the floor applies)
    ("10,000 `[`", "[" * 10_000, True),
    ("50,000 `*`", "*" * 50_000, False),
    ("50,000 `*` inside text", "a " + "*" * 50_000 + " b", False),
    ("10,000 nested `>`", ">" * 10_000 + " deep", True),
    ("10,000 backticks", "`" * 10_000, True),
    (f"`[` × {MAX_LENGTH:,} (the cap)", _cut("["), True),
    (f"`![[` to {MAX_LENGTH:,}", _cut("![["), True),
    (f"`- [` to {MAX_LENGTH:,}", _cut("- ["), True),
    (f"`**_` to {MAX_LENGTH:,}", _cut("**_"), True),
    (f"`[a](` to {MAX_LENGTH:,}", _cut("[a]("), True),
    (f"table rows to {MAX_LENGTH:,}", "|a|b|\n|-|-|\n" + _cut("|x|y|\n", MAX_LENGTH - 12), True),
    ("1 MB mixed document", _megabyte(), False),
]


def _old_renderer() -> Callable[[str], str] | None:
    """The renderer portal/markdown.py had before markdown-it, or None without Python-Markdown."""
    try:
        import markdown
        from markdown.extensions import Extension
    except ImportError:
        return None
    import nh3

    from portal.markdown import ALLOWED_TAGS

    class RawHtmlAsText(Extension):
        def extendMarkdown(self, md):  # noqa: N802 - Python-Markdown's hook
            md.preprocessors.deregister("html_block")
            md.inlinePatterns.deregister("html")

    def render(text: str) -> str:
        converter = markdown.Markdown(extensions=["fenced_code", "tables", "sane_lists", RawHtmlAsText()])
        return nh3.clean(
            converter.convert(text),
            tags=ALLOWED_TAGS,
            attributes={"a": {"href", "title"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )

    return render


def _best(render: Callable[[str], str], text: str) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.process_time()
        render(text)
        best = min(best, time.process_time() - start)
    return best


def _old_child(index: int, answer) -> None:
    render = _old_renderer()
    start = time.process_time()
    render(INPUTS[index][1])
    answer.send(time.process_time() - start)


def _old_time(index: int) -> float | None:
    """Seconds for the old renderer, or None when it passed OLD_BUDGET_S and was stopped."""
    mine, theirs = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.Process(target=_old_child, args=(index, theirs))
    child.start()
    child.join(OLD_BUDGET_S)
    if child.is_alive():
        child.terminate()
        child.join()
        return None
    return mine.recv()


def _seconds(value: float | None) -> str:
    if value is None:
        return f"> {OLD_BUDGET_S:.0f} s (stopped)"
    return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"


def main() -> int:
    compare = _old_renderer() is not None
    print(f"render_markdown, CPU time, best of {ROUNDS}; a field holds up to {MAX_LENGTH:,} characters")
    if compare:
        print(f"old = Python-Markdown as the portal had it, one run, stopped after {OLD_BUDGET_S:.0f} s")
    else:
        print("Python-Markdown is not installed: new figures only")
    failures = []
    for index, (what, text, capped) in enumerate(INPUTS):
        new = _best(render_markdown, text)
        line = f"{what:<32} {len(text):>9,} chars  new {_seconds(new):>10}"
        if compare:
            line += f"  old {_seconds(_old_time(index)):>18}"
        print(line, flush=True)
        floor = FLOOR_CAPPED_S if capped else FLOOR_MEGABYTE_S if text.startswith("## ") else None
        if floor is not None and new >= floor:
            failures.append(f"{what}: {new:.2f} s, floor {floor} s")
    for failure in failures:
        print(f"FLOOR MISSED {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
