"""The PDF case report (web/pdf.py), without a browser: what its text says (read back with pypdf), that no
name can break it, its running header and page numbers, and that the thumbnails it embeds are the blurred
greyscale previews it was given."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import UTC, datetime

from PIL import Image
from pypdf import PdfReader
from pypdf.generic import StreamObject

from jejak.hashing.preview import gentle
from jejak.testing.images import jpeg_bytes, procedural_image
from jejak.web.pdf import CONFIDENTIAL, Alert, Count, Item, Link, Report, RuleLinks, latin, render_pdf
from tests.web.conftest import sharpness


def sha(i: int) -> str:
    return hashlib.sha256(f"content {i}".encode()).hexdigest()


def md5(i: int) -> str:
    return hashlib.md5(f"content {i}".encode()).hexdigest()


def blurred(seed: int) -> bytes:
    """A preview as reports embed it: a procedural (colour) picture, greyscale and blurred, as JPEG."""
    out = io.BytesIO()
    gentle(jpeg_bytes(procedural_image(seed, 320, 240), 90)).save(out, "JPEG", quality=80)
    return out.getvalue()


def report(n: int = 3, thumbnails: bool = False, **changes: object) -> Report:
    base = Report(
        case="NL-1",
        agency="Politie NL",
        description="A benign demonstration case.",
        examiner="nl-investigator",
        examiner_agency="Politie NL",
        generated=datetime(2026, 3, 12, 18, 30, 5, tzinfo=UTC),
        counts=(
            Count("files", "Files", 17),
            Count("contents", "Distinct contents", 12),
            Count("new", "New", 7),
            Count("known", "Known", 4),
            Count("known_good", "Known-good", 1),
            Count("deleted", "Deleted files", 2),
            Count("warnings", "Warnings", 3),
            Count("exhibits", "Exhibits", 1),
            Count("alerts", "Alerts", 1),
        ),
        by_status=(Count("new", "New", 7), Count("known", "Known", 4), Count("known_good", "Known-good", 1)),
        by_category=(("vic-us 4 · Comparison", 3), ("uncategorised", 1)),
        review=(Count("conflicts", "Category conflicts", 1),),
        rules=(RuleLinks("camera", 2, 0.95), RuleLinks("pdq", 1, 0.84)),
        links=(Link("camera", 0.95, "IMG_0001.jpg (cd4c9d836814)", "a content of ID-9 (Polri ID)"),),
        links_total=3,
        alerts=(
            Alert("ID-7", "Polri ID", "pdq", 0.84, True, "IMG_0002.jpg (e2d7976466fe)", "2026-03-12 18:31"),
        ),
        items=tuple(
            Item(
                sha256=sha(i),
                md5=md5(i),
                status="known",
                category="vic-us 4 · Comparison",
                category_source="list",
                lists=("national",),
                name=f"nl-phone/IMG_{i:04d}.jpg",
                files=1,
                thumbnail=blurred(i) if thumbnails else None,
            )
            for i in range(n)
        ),
        items_total=n,
        selection="known",
        show="thumbnails" if thumbnails else "hashes",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def text_of(data: bytes) -> tuple[PdfReader, list[str]]:
    pdf = PdfReader(io.BytesIO(data))
    return pdf, [p.extract_text() for p in pdf.pages]


def test_text_holds_the_case_examiner_counts_and_hashes() -> None:
    pdf, pages = text_of(render_pdf(report()))
    text = "\n".join(pages)
    assert "Case report: NL-1" in text
    assert "Politie NL" in text
    assert "nl-investigator (Politie NL)" in text
    assert "2026-03-12 18:30:05 UTC" in text
    for line in ("Files 17", "Distinct contents 12", "New 7", "Known 4", "Known-good 1", "Warnings 3"):
        assert line in text
    assert "vic-us 4 · Comparison 3" in text
    assert "camera 2 0.95" in text and "a content of ID-9 (Polri ID)" in text
    assert "ID-7 Polri ID pdq 0.84 yes" in text
    for i in range(3):
        assert sha(i) in text and md5(i) in text  # whole, on one line each
        assert f"nl-phone/IMG_{i:04d}.jpg" in text
    assert pdf.metadata is not None and pdf.metadata.title == "Case report NL-1"
    assert not [img for p in pdf.pages for img in p.images]  # hashes only: no picture at all


def test_every_page_has_the_header_and_its_number() -> None:
    _pdf, pages = text_of(render_pdf(report(n=120)))
    assert len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        assert CONFIDENTIAL in page
        assert "Case NL-1 · Politie NL" in page
        assert f"Page {n} of {len(pages)}" in page
    assert sha(119) in "\n".join(pages)


def test_odd_characters_do_not_break_a_report() -> None:
    odd = "Kasus 測試 😀 \u202edcba\u202c ş ﬁle \x00\x07\n\udcff é — ‘q’"
    r = report(
        case=odd,
        examiner="pemeriksa-ṡ",
        description=odd,
        items=(replace(report().items[0], name=f"foto/{odd}.jpg", lists=(odd,)),),
        links=(Link("identifier", 0.6, odd, "identifier:username:@dewi_fc"),),
    )
    _pdf, pages = text_of(render_pdf(r))
    text = "\n".join(pages)
    assert "Case report: Kasus ?? ? ?dcba? s file ???? é — ‘q’" in text
    assert "pemeriksa-s" in text
    assert sha(0) in text


def test_latin_keeps_what_the_core_fonts_draw() -> None:
    assert latin("café — “quoted” €5 · ü") == "café — “quoted” €5 · ü"
    assert latin("Şişli ﬁ Łódź") == "Sisli fi ?ódz"
    assert latin("名前\x00\ttab") == "????tab"
    assert latin(None) == ""
    assert latin(42) == "42"


def test_thumbnails_are_the_blurred_greyscale_previews() -> None:
    seeds = (5, 1, 4)  # pictures with fine detail: blurring them shows
    r = report(n=4, thumbnails=True)
    items = [replace(it, thumbnail=blurred(seed)) for it, seed in zip(r.items, seeds, strict=False)]
    r = replace(r, items=(*items, replace(r.items[3], thumbnail=None)))  # the last without a preview
    pdf, pages = text_of(render_pdf(r))
    assert "no preview" in "\n".join(pages)
    images = [img for p in pdf.pages for img in p.images]
    assert len(images) == 3
    seed_of = {it.thumbnail: seed for it, seed in zip(r.items, seeds, strict=False)}
    for img in images:
        assert img.image is not None and img.image.mode == "L"  # greyscale
        assert img.indirect_reference is not None
        stream = img.indirect_reference.get_object()
        assert isinstance(stream, StreamObject)
        assert str(stream["/ColorSpace"]) == "/DeviceGray"
        data = stream.get_data()
        assert data in seed_of  # the JPEG embedded as given (passed through), nothing else
        original = procedural_image(seed_of[data], 320, 240).convert("L")
        assert sharpness(png(img.image)) < 0.5 * sharpness(png(original))  # blurred
