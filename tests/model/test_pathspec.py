from __future__ import annotations

from jejak.model import PathSpec, Segment


def test_json_round_trip_and_stable_key() -> None:
    ps = (
        PathSpec.os_path("/mnt/ex/phone1.E01", "/mnt/ex/phone1.E01")
        .child(Segment.make("ewf"))
        .child(Segment.make("vol", "p1", offset=1048576, fs="FAT16"))
        .child(Segment.make("fs", "/DCIM/100CAM/IMG_0003.JPG", inode=7))
    )
    again = PathSpec.loads(ps.dumps())
    assert again == ps
    assert again.key() == ps.key()
    assert ps.readable() == "phone1.E01 > p1 (FAT16) > /DCIM/100CAM/IMG_0003.JPG"
    assert ps.name() == "IMG_0003.JPG"


def test_nested_archives_read_as_a_chain() -> None:
    ps = (
        PathSpec.os_path("/ev/usb/export.zip", "/ev/usb")
        .child(Segment.make("zip", "backup.tar.gz", index=0))
        .child(Segment.make("gzip", "backup.tar"))
        .child(Segment.make("tar", "inner.zip"))
        .child(Segment.make("zip", "deep/a.jpg", index=3))
    )
    assert ps.readable() == "usb/export.zip > backup.tar.gz > inner.zip > deep/a.jpg"
    tar = PathSpec(ps.segments[:3])
    assert tar.readable() == "usb/export.zip > backup.tar.gz > backup.tar"
    assert ps.depth == 4
    assert ps.name() == "a.jpg"


def test_traversal_names_are_only_names() -> None:
    ps = PathSpec.os_path("/ev/t.zip", "/ev/t.zip").child(Segment.make("zip", "../../etc/evil.jpg", index=0))
    assert ps.readable() == "t.zip > ../../etc/evil.jpg"
    assert ps.name() == "evil.jpg"
    assert PathSpec.loads(ps.dumps()).last.location == "../../etc/evil.jpg"
