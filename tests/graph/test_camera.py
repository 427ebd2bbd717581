"""Camera identity keys from EXIF: normalisation, placeholders, strengths, and the camera edges."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from jejak.graph.camera import (
    MODEL_SCORE,
    SERIAL_SCORE,
    UID_PREFIX_LEN,
    UID_SCORE,
    camera_edges,
    camera_keys,
    normalise_make,
    normalise_model,
    normalise_serial,
    unique_id_prefix,
)
from jejak.metadata import read_exif
from jejak.model.graph import NodeKind, split_key
from jejak.model.records import ExifInfo
from jejak.testing.images import exif_bytes, jpeg_bytes, procedural_image

SHA_A = "a" * 64
SHA_B = "b" * 64
SHA_C = "c" * 64


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("NIKON CORPORATION", "nikon"),
        ("OLYMPUS IMAGING CORP.", "olympus"),
        ("OLYMPUS OPTICAL CO.,LTD", "olympus"),
        ("CASIO COMPUTER CO.,LTD.", "casio"),
        ("SAMSUNG ELECTRONICS CO., LTD.", "samsung"),
        ("Leica Camera AG", "leica"),
        ("  Canon  ", "canon"),
        ("Apple", "apple"),
        ("EASTMAN KODAK COMPANY", "eastman kodak"),
        ("Corporation", "corporation"),  # never strip everything
        (None, ""),
    ],
)
def test_normalise_make(raw: str | None, want: str) -> None:
    assert normalise_make(raw) == want


@pytest.mark.parametrize(
    ("model", "make", "want"),
    [
        ("Canon EOS 5D", "Canon", "eos 5d"),
        ("NIKON D750", "NIKON CORPORATION", "d750"),
        (
            "KODAK EASYSHARE C340 ZOOM DIGITAL CAMERA",
            "EASTMAN KODAK COMPANY",
            "easyshare c340 zoom digital camera",
        ),
        ("E-M5MarkII", "OLYMPUS IMAGING CORP.", "e-m5markii"),
        ("SM-G991B", "samsung", "sm-g991b"),
        ("iPhone  12 ", "Apple", "iphone 12"),
        ("Canon", "Canon", "canon"),  # a model that is only the make keeps it
        ("u1020,S1020", "OLYMPUS IMAGING CORP.", "u1020 s1020"),
    ],
)
def test_normalise_model(model: str, make: str, want: str) -> None:
    assert normalise_model(model, make) == want


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("0001234567", "1234567"),
        (" dc100-77 ", "DC100-77"),
        ("HD1234567", "HD1234567"),
        ("0000", None),
        ("0000000000", None),
        ("unknown", None),
        ("None", None),
        ("SERIAL", None),
        ("1234567890", None),
        ("Serial Number", None),
        ("AAAAAAA", None),
        ("777", None),
        ("0012", None),  # shorter than 4 once the zeros are gone
        ("", None),
        (None, None),
    ],
)
def test_normalise_serial(raw: str | None, want: str | None) -> None:
    assert normalise_serial(raw) == want


def test_unique_id_prefix() -> None:
    family = "4a1b2c3d4e5f60718293a4b5c6d7e8f9"  # not a version-4 shape (13th digit is 7)
    assert unique_id_prefix(family) == family[:UID_PREFIX_LEN]
    assert unique_id_prefix(family.upper()) == family[:UID_PREFIX_LEN]
    assert unique_id_prefix("0" * 32) is None
    assert unique_id_prefix("f" * 32) is None
    assert unique_id_prefix("000000000000" + "9f8e7d6c5b4a3210") is None  # no device part
    assert unique_id_prefix("A16LSIA00VM") is None  # too short to hold a device part and a tail
    assert unique_id_prefix("not a hex value at all!") is None
    assert unique_id_prefix(None) is None
    for _ in range(50):
        value = uuid.uuid4()
        assert unique_id_prefix(str(value)) is None
        assert unique_id_prefix(value.hex) is None
    version1 = uuid.UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
    assert unique_id_prefix(str(version1)) == version1.hex[:UID_PREFIX_LEN]


def test_keys_strongest_first() -> None:
    exif = ExifInfo(
        make="Canon",
        model="Canon EOS 5D",
        serial="0001234567",
        image_unique_id="4a1b2c3d4e5f60718293a4b5c6d7e8f9",
        extra={
            "serial_source": "Canon.SerialNumber",
            "other_serials": "Canon.InternalSerialNumber=VB7654321",
        },
    )
    keys = camera_keys(exif)
    assert [k.key for k in keys] == [
        "serial:canon|eos 5d|1234567",
        "serial:canon|eos 5d|VB7654321",
        "uid:canon|eos 5d|4a1b2c3d4e5f",
        "model:canon|eos 5d",
    ]
    assert [k.strength for k in keys] == ["serial", "serial", "unique_id", "model"]
    assert [k.score for k in keys] == [SERIAL_SCORE, SERIAL_SCORE, UID_SCORE, MODEL_SCORE]
    assert keys[0].evidence == {
        "strength": "serial",
        "make": "Canon",
        "model": "Canon EOS 5D",
        "serial": "1234567",
        "source": "Canon.SerialNumber",
    }
    assert keys[1].evidence["source"] == "Canon.InternalSerialNumber"
    assert keys[2].evidence["unique_id_prefix"] == "4a1b2c3d4e5f"


def test_same_camera_written_differently_gives_one_key() -> None:
    one = ExifInfo(make="NIKON CORPORATION", model="NIKON D750", serial="3001234")
    two = ExifInfo(make="Nikon", model="D750", serial="0003001234")
    assert camera_keys(one)[0].key == camera_keys(two)[0].key == "serial:nikon|d750|3001234"


def test_weak_and_missing_keys() -> None:
    assert camera_keys(ExifInfo()) == []
    assert camera_keys(ExifInfo(make="Apple")) == []  # make alone names no camera
    only_model = camera_keys(ExifInfo(make="Apple", model="iPhone 12"))
    assert [(k.key, k.score) for k in only_model] == [("model:apple|iphone 12", MODEL_SCORE)]
    placeholder = camera_keys(ExifInfo(make="Acme", model="X1", serial="0000000000"))
    assert [k.strength for k in placeholder] == ["model"]
    no_camera = camera_keys(ExifInfo(serial="12345678A", image_unique_id="4a1b2c3d4e5f60718293a4b5c6d7e8f9"))
    assert no_camera == []  # a serial without make or model could be any maker's
    duplicate = ExifInfo(
        make="Acme", model="X1", serial="SN-4455", extra={"other_serials": "Acme.SerialNumber=SN-4455"}
    )
    assert [k.key for k in camera_keys(duplicate)] == ["serial:acme|x1|SN-4455", "model:acme|x1"]


def test_camera_edges_link_items_of_one_camera() -> None:
    items = [
        (
            SHA_A,
            ExifInfo(
                make="Canon",
                model="Canon EOS 5D",
                serial="123456",
                extra={
                    "serial_source": "BodySerialNumber",
                    "other_serials": "Canon.InternalSerialNumber=HD99",
                },
            ),
        ),
        (
            SHA_B,
            ExifInfo(make="CANON", model="EOS 5D", serial="00123456", image_unique_id="c" * 8 + "1" * 24),
        ),
        (SHA_C, ExifInfo(make="Apple", model="iPhone 12")),
        (
            SHA_A,
            ExifInfo(make="Canon", model="Canon EOS 5D", serial="999999"),
        ),  # the same content again: its first listing counts
    ]
    nodes, edges = camera_edges(items)
    serial_node = "camera:serial:canon|eos 5d|123456"
    assert set(nodes) == {
        serial_node,
        "camera:uid:canon|eos 5d|cccccccc1111",
        "camera:model:canon|eos 5d",
        "camera:model:apple|iphone 12",
    }
    assert list(nodes) == sorted(nodes)
    assert nodes[serial_node].label == "CANON EOS 5D #123456"  # the least of the spellings: deterministic
    assert nodes[serial_node].kind == NodeKind.CAMERA
    assert nodes[serial_node].attrs["serial"] == "123456"
    assert nodes["camera:model:apple|iphone 12"].label == "Apple iPhone 12 (model only)"

    by_pair = {(e.a, e.b): e for e in edges}
    assert len(by_pair) == len(edges)
    assert all(e.rule == "camera" for e in edges)
    assert all(split_key(e.a)[0] == NodeKind.CAMERA and split_key(e.b)[0] == NodeKind.CONTENT for e in edges)
    # SHA_A: its body serial (not the internal one: one edge per strength) and its model; SHA_B: serial,
    # unique id and model; SHA_C: model only.
    assert sorted(split_key(e.a)[1] for e in edges if e.b == f"content:{SHA_A}") == [
        "model:canon|eos 5d",
        "serial:canon|eos 5d|123456",
    ]
    assert sum(e.b == f"content:{SHA_B}" for e in edges) == 3
    assert sum(e.b == f"content:{SHA_C}" for e in edges) == 1
    serial_edges = [e for e in edges if e.a == serial_node]
    assert sorted(e.b for e in serial_edges) == [f"content:{SHA_A}", f"content:{SHA_B}"]
    assert {e.score for e in serial_edges} == {SERIAL_SCORE}
    assert serial_edges[0].evidence["strength"] == "serial"
    assert set(serial_edges[0].evidence) >= {"strength", "make", "model", "serial"}
    uid_edge = next(e for e in edges if e.a.startswith("camera:uid:"))
    assert uid_edge.score == UID_SCORE
    assert uid_edge.evidence["unique_id_prefix"] == "cccccccc1111"
    assert edges == sorted(edges, key=lambda e: (e.a, e.b))


def test_camera_edges_from_real_exif() -> None:
    """Through read_exif, so the serial and its source are where the metadata reader really puts them."""
    infos: list[ExifInfo] = []
    for seed, serial in ((1, "DC100-77"), (2, "0DC100-77"), (3, "unknown")):
        data = jpeg_bytes(
            procedural_image(seed, 64, 48),
            exif=exif_bytes(make="DemoCam Co., Ltd.", model="DemoCam DC-100", serial=serial),
        )
        with Image.open(io.BytesIO(data)) as img:
            info = read_exif(img)
        assert info is not None
        infos.append(info)
    assert infos[0].extra["serial_source"] == "BodySerialNumber"
    nodes, edges = camera_edges(zip((SHA_A, SHA_B, SHA_C), infos, strict=True))
    serial_node = "camera:serial:democam|dc-100|DC100-77"
    assert nodes[serial_node].label == "DemoCam DC-100 #DC100-77"
    linked = sorted(e.b for e in edges if e.a == serial_node)
    assert linked == [f"content:{SHA_A}", f"content:{SHA_B}"]
    assert next(e for e in edges if e.a == serial_node).evidence["source"] == "BodySerialNumber"
    assert sum(e.a == "camera:model:democam|dc-100" for e in edges) == 3
