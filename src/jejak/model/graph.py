"""The link-analysis graph's value types: nodes (entities), edges (links with their rule and evidence).

A node is named by a stable key ``kind:id`` (``content:<sha256>``, ``camera:<key>``, ``place:<id>``,
``person:V-12``...). An edge joins two node keys; it records the rule that made it, a score in [0, 1] (how
strongly the rule's evidence supports "same"), and the evidence itself as JSON-ready data, so that every link
can be explained. Edges are undirected: ``a`` is the smaller key, which makes an edge's identity
(``a``, ``b``, ``rule``) independent of the order it was found in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class NodeKind(StrEnum):
    AGENCY = "agency"
    CASE = "case"
    EXHIBIT = "exhibit"
    CONTENT = "content"  # one SHA-256: every instance of the same bytes
    FILE = "file"  # one instance of a content in one exhibit
    CAMERA = "camera"
    PLACE = "place"  # a GPS cluster
    SCENE = "scene"  # a physical location recognised visually
    AUDIO = "audio"  # a shared audio segment
    SERIES = "series"
    PERSON = "person"  # victim or offender, asserted by an investigator
    IDENTIFIER = "identifier"  # account, phone number, group id, invite link, URL, e-mail


def node_key(kind: NodeKind | str, ident: str) -> str:
    return f"{NodeKind(kind).value}:{ident}"


def split_key(key: str) -> tuple[NodeKind, str]:
    kind, sep, ident = key.partition(":")
    if not sep or not ident:
        raise ValueError(f"not a node key: {key!r} (expected kind:id)")
    return NodeKind(kind), ident


@dataclass(frozen=True)
class Node:
    key: str
    label: str = ""
    attrs: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def kind(self) -> NodeKind:
        return split_key(self.key)[0]

    @property
    def ident(self) -> str:
        return split_key(self.key)[1]


@dataclass(frozen=True)
class Edge:
    a: str
    b: str
    rule: str
    score: float
    evidence: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if self.a == self.b:
            raise ValueError(f"an edge joins two different nodes: {self.a}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score must be in [0, 1]: {self.score}")
        if self.b < self.a:  # canonical order: the identity does not depend on discovery order
            a, b = self.b, self.a
            object.__setattr__(self, "a", a)
            object.__setattr__(self, "b", b)

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.a, self.b, self.rule)


@dataclass(frozen=True)
class Graph:
    """A subgraph as returned by a query: nodes by key and the edges between them."""

    nodes: dict[str, Node]
    edges: list[Edge]
