"""The projects' states as a run goes: plain timestamped lines for a log, lines redrawn in
place on a terminal, a project's output printed above them whole."""

from __future__ import annotations

import io
import re

from upkeep.across.display import Display

NOON = 12 * 3600.0


def test_plain_lines_are_timestamped_and_said_as_they_happen() -> None:
    out = io.StringIO()
    display = Display(["blog", "shop"], out, live=False, clock=lambda: NOON)
    display.running("blog")
    display.waiting("shop", "blog is on web1:22")
    display.waiting("shop", "blog is on web1:22")  # said once, not on every turn
    display.step("blog", "provisioning staging")
    display.ended("blog", ok=True)
    display.running("shop")
    display.ended("shop", ok=False, why="2 differences")
    display.close()
    assert out.getvalue().splitlines() == [
        "12:00:00 blog: running",
        "12:00:00 shop: waiting: blog is on web1:22",
        "12:00:00 blog: provisioning staging",
        "12:00:00 blog: ok",
        "12:00:00 shop: running",
        "12:00:00 shop: failed: 2 differences",
    ]


def test_steps_can_be_declined_and_states_are_still_said() -> None:
    out = io.StringIO()
    display = Display(["blog"], out, live=False, steps=False, clock=lambda: NOON)
    display.running("blog")
    display.step("blog", "provisioning staging")
    display.ended("blog", ok=True)
    assert out.getvalue().splitlines() == ["12:00:00 blog: running", "12:00:00 blog: ok"]


def screen(text: str) -> list[str]:
    """What a terminal shows after ``text``: lines, with the cursor moves and erasures done."""
    rows: list[str] = []
    row = 0
    for token in re.split(r"(\x1b\[\d*[FJK]|\n)", text):
        if token == "\n":
            row += 1
        elif match := re.fullmatch(r"\x1b\[(\d*)F", token):
            row -= int(match.group(1) or 1)
        elif token == "\x1b[J":
            del rows[row:]
        elif token and not token.startswith("\x1b"):
            rows.extend([""] * (row + 1 - len(rows)))
            rows[row] = token
    return rows


def test_on_a_terminal_one_line_per_project_is_redrawn_in_place_under_the_output() -> None:
    now = [NOON]
    out = io.StringIO()
    display = Display(["blog", "shop"], out, live=True, clock=lambda: now[0])
    display.running("blog")
    display.waiting("shop", "blog is on web1:22")
    now[0] += 5
    display.step("blog", "provisioning staging")
    assert screen(out.getvalue()) == [
        "blog  running 5 s   provisioning staging",
        "shop  waiting       blog is on web1:22",
    ]
    display.ended("blog", ok=True)
    display.above(lambda: out.write("== blog ==\nall done\n\n"))
    display.running("shop")
    now[0] += 1
    display.ended("shop", ok=False, why="2 differences")
    display.close()
    assert screen(out.getvalue()) == [
        "== blog ==",
        "all done",
        "",
        "blog  ok",
        "shop  failed        2 differences",
    ]
