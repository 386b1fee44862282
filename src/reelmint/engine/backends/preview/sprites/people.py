"""People, seen from the front-right, feet at y = 1. `body` paints the clothes.

One figure (legs, torso, arms, head) is shared; each kind dresses it: a helmet and visor,
armour and a shield, a robe and a pointed hat, a toque and an apron, a tutu.
"""

from __future__ import annotations

from dataclasses import dataclass

from reelmint.engine.backends.preview.sprites.parts import BLACK, WHITE, WOOD, Pose, accent
from reelmint.engine.backends.preview.sprites.pen import RGB, Pen, shade

SKIN: RGB = (232, 188, 150)
HAIR: RGB = (92, 60, 36)
DENIM: RGB = (52, 64, 100)
CX = 0.3


@dataclass(frozen=True)
class Figure:
    """Proportions and colours of one figure, in sprite units."""

    clothes: RGB
    trousers: RGB
    skin: RGB = SKIN
    head_r: float = 0.085
    shoulder_y: float = 0.3
    hip_y: float = 0.6
    limb_w: float = 0.07
    arm_swing: float = 26.0
    leg_swing: float = 24.0


def _legs(pen: Pen, fig: Figure, pose: Pose, *, shoes: RGB = BLACK) -> None:
    length = 0.96 - fig.hip_y
    for dx, offset in ((-0.035, 0.5), (0.035, 0.0)):
        end = pen.limb(
            CX + dx, fig.hip_y, length, fig.leg_swing * pose.swing(offset), fig.limb_w, fig.trousers
        )
        pen.ellipse(end[0] + 0.03, min(end[1], 0.97), 0.055, 0.03, shoes)


def _torso(pen: Pen, fig: Figure) -> None:
    pen.rect(CX - 0.1, fig.shoulder_y - 0.02, CX + 0.1, fig.hip_y + 0.02, fig.clothes, radius=0.05)


def _arm(
    pen: Pen, fig: Figure, pose: Pose, side: int, colour: RGB, *, raise_by: float = 0.0
) -> tuple[float, float]:
    offset = 0.0 if side < 0 else 0.5
    angle = fig.arm_swing * pose.swing(offset) + raise_by
    end = pen.limb(CX + side * 0.085, fig.shoulder_y + 0.02, 0.27, angle, fig.limb_w * 0.9, colour)
    pen.circle(end[0], end[1], fig.limb_w * 0.55, fig.skin)
    return end


def _head(pen: Pen, fig: Figure, head_y: float) -> None:
    pen.line([(CX, head_y + fig.head_r * 0.8), (CX, fig.shoulder_y)], 0.05, fig.skin)
    pen.circle(CX + 0.01, head_y, fig.head_r, fig.skin)
    pen.circle(CX + 0.045, head_y - 0.01, fig.head_r * 0.14, BLACK)
    pen.arc(CX + 0.03, head_y + 0.015, fig.head_r * 0.4, 20, 120, 0.008, (150, 70, 60))


def _figure(pen: Pen, fig: Figure, pose: Pose) -> float:
    """Legs, back arm, torso, head; returns the head's centre y (front arm left to callers)."""
    head_y = fig.shoulder_y - fig.head_r - 0.03
    _legs(pen, fig, pose)
    _arm(pen, fig, pose, -1, shade(fig.clothes, 0.8))
    _torso(pen, fig)
    _head(pen, fig, head_y)
    return head_y


def person(pen: Pen, body: RGB, pose: Pose) -> None:
    fig = Figure(clothes=body, trousers=DENIM)
    head_y = _figure(pen, fig, pose)
    pen.pie(CX + 0.01, head_y, fig.head_r * 1.05, 180, 360, HAIR)
    _arm(pen, fig, pose, 1, body)


def man(pen: Pen, body: RGB, pose: Pose) -> None:
    fig = Figure(clothes=body, trousers=(60, 60, 68), shoulder_y=0.28)
    head_y = _figure(pen, fig, pose)
    pen.poly([(CX - 0.03, 0.27), (CX + 0.03, 0.27), (CX, 0.4)], WHITE)
    pen.poly(
        [
            (CX - 0.012, 0.29),
            (CX + 0.012, 0.29),
            (CX + 0.018, 0.42),
            (CX, 0.45),
            (CX - 0.018, 0.42),
        ],
        accent(body, (180, 30, 40)),
    )
    pen.pie(CX + 0.01, head_y - 0.005, fig.head_r * 1.02, 170, 360, (50, 38, 30))
    pen.rect(CX - 0.01, head_y + 0.035, CX + 0.09, head_y + 0.06, (70, 50, 40), radius=0.01)
    _arm(pen, fig, pose, 1, body)


def woman(pen: Pen, body: RGB, pose: Pose) -> None:
    fig = Figure(clothes=body, trousers=SKIN, limb_w=0.055)
    head_y = fig.shoulder_y - fig.head_r - 0.03
    pen.ellipse(CX - 0.02, head_y + 0.06, fig.head_r * 1.2, fig.head_r * 1.6, (120, 70, 40))
    _legs(pen, fig, pose, shoes=(150, 30, 50))
    _arm(pen, fig, pose, -1, shade(SKIN, 0.9))
    pen.poly([(CX - 0.09, 0.3), (CX + 0.09, 0.3), (CX + 0.17, 0.76), (CX - 0.17, 0.76)], body)
    _head(pen, fig, head_y)
    pen.pie(CX + 0.01, head_y, fig.head_r * 1.08, 180, 360, (120, 70, 40))
    _arm(pen, fig, pose, 1, SKIN)


def child(pen: Pen, body: RGB, pose: Pose) -> None:
    fig = Figure(
        clothes=body, trousers=(60, 90, 150), head_r=0.12, shoulder_y=0.38, hip_y=0.66, limb_w=0.08
    )
    head_y = _figure(pen, fig, pose)
    cap = accent(body, (200, 40, 40), (40, 90, 200))
    pen.pie(CX + 0.01, head_y - 0.01, fig.head_r * 1.05, 180, 360, cap)
    pen.rect(CX + 0.05, head_y - 0.03, CX + 0.2, head_y - 0.005, cap, radius=0.01)
    _arm(pen, fig, pose, 1, body)


def astronaut(pen: Pen, body: RGB, pose: Pose) -> None:
    fig = Figure(clothes=body, trousers=body, skin=body, limb_w=0.1, head_r=0.12)
    pen.rect(CX - 0.17, 0.28, CX - 0.06, 0.56, shade(body, 0.75), radius=0.03)
    _legs(pen, fig, pose, shoes=(90, 90, 96))
    _arm(pen, fig, pose, -1, shade(body, 0.8))
    _torso(pen, fig)
    pen.rect(CX - 0.05, 0.36, CX + 0.06, 0.44, (60, 90, 200))
    pen.circle(CX + 0.01, 0.16, 0.14, body)
    pen.ellipse(CX + 0.04, 0.16, 0.1, 0.08, (200, 160, 60), glow=pose.lights_on)
    pen.ellipse(CX + 0.07, 0.13, 0.03, 0.02, WHITE)
    _arm(pen, fig, pose, 1, body)


def knight(pen: Pen, body: RGB, pose: Pose) -> None:
    fig = Figure(clothes=body, trousers=shade(body, 0.85), skin=shade(body, 0.7), limb_w=0.08)
    head_y = _figure(pen, fig, pose)
    pen.rect(CX - 0.07, head_y - 0.09, CX + 0.09, head_y + 0.08, body, radius=0.04)
    pen.rect(CX + 0.0, head_y - 0.015, CX + 0.09, head_y + 0.005, BLACK)
    plume = accent(body, (200, 30, 40), (30, 60, 180))
    pen.poly(
        [(CX - 0.02, head_y - 0.09), (CX - 0.12, head_y - 0.18), (CX + 0.04, head_y - 0.12)], plume
    )
    hand = _arm(pen, fig, pose, 1, body)
    pen.line([(hand[0], hand[1] + 0.02), (hand[0] + 0.04, hand[1] - 0.28)], 0.03, (220, 222, 230))
    pen.line(
        [(hand[0] - 0.04, hand[1] - 0.01), (hand[0] + 0.05, hand[1] - 0.02)], 0.025, (212, 175, 55)
    )
    pen.poly(
        [
            (CX - 0.2, 0.36),
            (CX - 0.02, 0.36),
            (CX - 0.03, 0.56),
            (CX - 0.11, 0.64),
            (CX - 0.19, 0.56),
        ],
        plume,
    )
    pen.line([(CX - 0.11, 0.38), (CX - 0.11, 0.6)], 0.025, (240, 220, 120))


def wizard(pen: Pen, body: RGB, pose: Pose) -> None:
    fig = Figure(clothes=body, trousers=body)
    head_y = fig.shoulder_y - fig.head_r - 0.03
    _arm(pen, fig, pose, -1, shade(body, 0.8))
    sway = 0.02 * pose.swing()
    pen.poly(
        [(CX - 0.1, 0.28), (CX + 0.1, 0.28), (CX + 0.2 + sway, 0.98), (CX - 0.2 + sway, 0.98)], body
    )
    _head(pen, fig, head_y)
    pen.poly(
        [(CX - 0.05, head_y + 0.03), (CX + 0.09, head_y + 0.03), (CX + 0.03, head_y + 0.2)],
        (236, 236, 240),
    )
    pen.poly(
        [
            (CX - 0.16, head_y - 0.04),
            (CX + 0.18, head_y - 0.04),
            (CX + 0.08, head_y - 0.07),
            (CX - 0.02, head_y - 0.28),
            (CX - 0.07, head_y - 0.07),
        ],
        body,
    )
    pen.circle(CX + 0.02, head_y - 0.13, 0.015, (250, 220, 90), glow=True)
    hand = _arm(pen, fig, pose, 1, body)
    pen.line([(hand[0], hand[1] - 0.3), (hand[0], 0.98)], 0.025, WOOD)
    pen.circle(hand[0], hand[1] - 0.32, 0.035, (150, 220, 255), glow=True)


def chef(pen: Pen, body: RGB, pose: Pose) -> None:
    fig = Figure(clothes=body, trousers=(70, 70, 74))
    head_y = _figure(pen, fig, pose)
    pen.rect(CX - 0.08, 0.4, CX + 0.09, 0.74, shade(body, 0.92), radius=0.02)
    for y in (0.34, 0.4):
        pen.circle(CX + 0.05, y, 0.012, BLACK)
    hat = (248, 248, 248) if sum(body) < 600 else (236, 236, 236)
    pen.rect(CX - 0.06, head_y - 0.17, CX + 0.08, head_y - 0.05, hat)
    for dx in (-0.05, 0.01, 0.07):
        pen.circle(CX + dx, head_y - 0.18, 0.05, hat)
    hand = _arm(pen, fig, pose, 1, body)
    pen.line([(hand[0], hand[1]), (hand[0] + 0.08, hand[1] - 0.14)], 0.02, (180, 182, 190))
    pen.ellipse(hand[0] + 0.09, hand[1] - 0.16, 0.035, 0.02, (180, 182, 190))


def dancer(pen: Pen, body: RGB, pose: Pose) -> None:
    fig = Figure(
        clothes=body, trousers=(240, 210, 200), limb_w=0.05, arm_swing=30.0, leg_swing=10.0
    )
    head_y = fig.shoulder_y - fig.head_r - 0.03
    lift = 40.0 * max(0.0, pose.swing(0.25))
    pen.limb(CX - 0.03, fig.hip_y, 0.36, -6, fig.limb_w, fig.trousers)
    pen.limb(CX + 0.03, fig.hip_y, 0.36, 8 + lift, fig.limb_w, fig.trousers)
    for side in (-1, 1):
        end = pen.limb(CX + side * 0.08, 0.32, 0.25, side * (150 - 20 * pose.swing()), 0.045, SKIN)
        pen.circle(end[0], end[1], 0.025, SKIN)
    pen.rect(CX - 0.07, 0.3, CX + 0.07, 0.56, body, radius=0.04)
    pen.ellipse(CX, 0.58, 0.22, 0.06, shade(body, 1.2))
    pen.ellipse(CX, 0.56, 0.18, 0.045, body)
    _head(pen, fig, head_y)
    pen.circle(CX - 0.04, head_y - 0.08, 0.04, HAIR)
    pen.pie(CX + 0.01, head_y, fig.head_r * 1.04, 180, 360, HAIR)
