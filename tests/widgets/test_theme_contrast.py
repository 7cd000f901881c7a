"""Both stylesheets keep every text readable: each foreground/background pair they set (text
on its own background, on the background it inherits, selected text on the selection, text on
alternate rows) has a WCAG 2 contrast ratio of at least 4.5 (AA for normal text). Rules for
disabled controls are left out, as WCAG leaves out inactive components."""
import re

import pytest

from widgets.window.themes import THEMES, stylesheet

AA_NORMAL_TEXT = 4.5
RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
NAMED = {"white": "#ffffff", "black": "#000000"}
CONTAINERS = ("QWidget", "QToolBar", "QMenuBar", "QMenu", "QStatusBar", "QDockWidget::title")


def rules(sheet):
    """(selector, {property: value}) for every rule of `sheet`, comments removed; a rule with
    several selectors appears once per selector."""
    sheet = re.sub(r"/\*.*?\*/", "", sheet, flags=re.S)
    for selectors, body in RULE.findall(sheet):
        props = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                props[name.strip()] = value.strip()
        for selector in selectors.split(","):
            yield " ".join(selector.split()), props


def colour(value):
    value = NAMED.get(value, value)
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value or ""):
        return None
    return tuple(int(value[i:i + 2], 16) / 255 for i in (1, 3, 5))


def luminance(rgb):
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    high, low = sorted((luminance(colour(a)), luminance(colour(b))), reverse=True)
    return (high + 0.05) / (low + 0.05)


def background(props):
    return props.get("background-color") or props.get("background")


def pairs(sheet):
    """(selector, foreground, background) of every pair of colours the sheet puts together.
    A side a rule leaves unset is inherited: from the rule of its first selector part
    ("QStatusBar" for "QStatusBar QLabel"), else from QWidget; a transparent background is
    checked against every container's background."""
    table = list(rules(sheet))
    by_selector = dict(table)
    base = by_selector["QWidget"]
    containers = [background(by_selector[s]) for s in CONTAINERS if s in by_selector
                  and background(by_selector[s])]
    found = []
    for selector, props in table:
        if ":disabled" in selector:
            continue
        parent = by_selector.get(selector.split(" ")[0], base) if " " in selector else base
        fg = props.get("color") or parent.get("color") or base["color"]
        bg = background(props) or background(parent) or background(base)
        if "color" in props or background(props):
            backs = containers if bg == "transparent" else [bg]
            found += [(selector, fg, b) for b in backs if colour(b)]
        if "alternate-background-color" in props:
            found.append((selector, fg, props["alternate-background-color"]))
        if "selection-background-color" in props:
            found.append((selector, props.get("selection-color", "white"),
                          props["selection-background-color"]))
    return found


@pytest.mark.parametrize("theme", THEMES)
def test_every_text_colour_has_aa_contrast(theme):
    found = pairs(stylesheet(theme))
    assert len(found) >= 20  # the parser saw the sheet's rules
    low = [(s, fg, bg, round(contrast(fg, bg), 2)) for s, fg, bg in found
           if contrast(fg, bg) < AA_NORMAL_TEXT]
    assert low == []


def test_the_contrast_formula_matches_wcag():
    assert contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#3d8bfd", "#3d8bfd") == pytest.approx(1.0)
