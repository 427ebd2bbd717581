"""The case report's content (``Report``: what the HTML page and the PDF both show, built by web/reports.py)
and its PDF. fpdf2 with the PDF core fonts: nothing is downloaded or embedded but the blurred thumbnails.
Text is brought to the core fonts' code page (Windows-1252) with a replacement first, so that no file name,
in whatever script or with whatever control characters, can break a report. Every page carries the case,
"CONFIDENTIAL — law enforcement" and its number."""

from __future__ import annotations

import base64
import io
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableCellFillMode, XPos, YPos

ENCODING = "cp1252"
"""What the core fonts draw (fpdf2 writes them with WinAnsiEncoding): Latin-1 and the typographic marks."""
REPLACEMENT = "?"
CONFIDENTIAL = "CONFIDENTIAL — law enforcement"
SANS = "Helvetica"
MONO = "Courier"
THUMB_MM = 28
NARROW = 110
"""The width (mm) of the tables of counts."""


def latin(text: object) -> str:
    """``text`` as the core fonts can draw it: a character outside Windows-1252 becomes its base letters
    (``ş`` -> ``s``, ``ﬁ`` -> ``fi``) or ``?``; a control character (a newline in a file name) ``?``."""
    s = "" if text is None else str(text)
    out = []
    for ch in s:
        if unicodedata.category(ch) in ("Cc", "Cs"):
            out.append(REPLACEMENT)
        elif _drawable(ch):
            out.append(ch)
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c) and _drawable(c)
            )
            out.append(base or REPLACEMENT)
    return "".join(out)


def _drawable(ch: str) -> bool:
    try:
        ch.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return unicodedata.category(ch) != "Cc"


# -- what a report holds -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Count:
    """One number of the report, with a stable ``key`` (pages and tests find it by that)."""

    key: str
    label: str
    value: int


@dataclass(frozen=True)
class Item:
    """A selected item: one distinct content of the case, by its hashes; ``thumbnail`` is its preview
    greyscale and blurred (JPEG), only when the examiner asked for thumbnails and one is stored."""

    sha256: str
    md5: str | None
    status: str
    category: str | None
    category_source: str | None
    lists: tuple[str, ...]
    name: str | None
    files: int
    thumbnail: bytes | None = None

    @property
    def data_uri(self) -> str | None:
        """The thumbnail inline (``data:image/jpeg;base64,...``): the HTML report stands on its own."""
        if self.thumbnail is None:
            return None
        return "data:image/jpeg;base64," + base64.b64encode(self.thumbnail).decode("ascii")


@dataclass(frozen=True)
class Link:
    """A link around the case's media as the examiner may see it: its two ends named (another agency's
    content only by the case holding it)."""

    rule: str
    score: float
    a: str
    b: str


@dataclass(frozen=True)
class RuleLinks:
    rule: str
    count: int
    strongest: float


@dataclass(frozen=True)
class Alert:
    other_case: str
    other_agency: str
    rule: str
    score: float
    victim_identified: bool
    subject: str
    since: str


@dataclass(frozen=True)
class Report:
    """Everything a case report shows, in the order it shows it."""

    case: str
    agency: str
    description: str | None
    examiner: str
    examiner_agency: str | None
    generated: datetime
    counts: tuple[Count, ...]
    by_status: tuple[Count, ...]
    by_category: tuple[tuple[str, int], ...]
    review: tuple[Count, ...]
    rules: tuple[RuleLinks, ...]
    links: tuple[Link, ...]
    links_total: int
    alerts: tuple[Alert, ...]
    items: tuple[Item, ...]
    items_total: int
    selection: str
    show: str

    @property
    def generated_utc(self) -> str:
        return self.generated.strftime("%Y-%m-%d %H:%M:%S UTC")

    @property
    def examiner_line(self) -> str:
        return f"{self.examiner} ({self.examiner_agency})" if self.examiner_agency else self.examiner

    @property
    def selection_text(self) -> str:
        which = (
            "known items, items a reviewer categorised and every new item"
            if self.selection == "all"
            else "known items and items a reviewer categorised"
        )
        how = "blurred greyscale thumbnails and hashes" if self.show == "thumbnails" else "hashes only"
        shown = f"{len(self.items)} of {self.items_total}" if self.items_total > len(self.items) else "all"
        return f"{which}; {how}; {shown} shown"


# -- the PDF ----------------------------------------------------------------------------------------------
HEADINGS = FontFace(emphasis="BOLD", fill_color=(230, 230, 226))
HASH = FontFace(family=MONO, size_pt=7)


class _Pdf(FPDF):
    """A4 pages with the report's running header (confidential, the case) and footer (page n of m)."""

    def __init__(self, report: Report) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report = report
        self.core_fonts_encoding = ENCODING
        self.set_margins(15, 18, 15)
        self.set_auto_page_break(True, margin=16)
        self.set_title(latin(f"Case report {report.case}"))
        self.set_author(latin(report.examiner))
        self.set_creator("jejak")

    def header(self) -> None:
        self.set_y(8)
        self.set_font(SANS, "B", 8)
        self.set_text_color(140, 0, 20)
        self.cell(0, 5, latin(CONFIDENTIAL), align=Align.L)
        self.set_x(self.l_margin)
        self.set_text_color(60, 60, 60)
        self.set_font(SANS, "", 8)
        self.cell(0, 5, latin(f"Case {self.report.case} · {self.report.agency}"), align=Align.R)
        self.set_draw_color(180, 180, 180)
        self.line(self.l_margin, 14, self.w - self.r_margin, 14)
        self.set_text_color(0, 0, 0)
        self.set_y(18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(SANS, "", 7)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, latin(f"jejak case report · generated {self.report.generated_utc}"), align=Align.L)
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align=Align.R)
        self.set_text_color(0, 0, 0)

    def heading(self, text: str) -> None:
        if self.will_page_break(20):
            self.add_page()
        self.ln(3)
        self.set_font(SANS, "B", 12)
        self.cell(0, 7, latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(SANS, "", 9)

    def para(self, text: str, size: float = 9) -> None:
        self.set_font(SANS, "", size)
        self.multi_cell(0, 4.5, latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(
        self,
        head: tuple[str, ...] | None,
        rows: list[tuple[str, ...]],
        widths: tuple[float, ...],
        width: float | None = None,
    ) -> None:
        """A table, with a heading row (repeated on each page it spans) unless ``head`` is None; as wide as
        the page unless ``width`` (mm) is given."""
        self.set_font(SANS, "", 8.5)
        with self.table(
            col_widths=widths,
            width=width or self.epw,
            align=Align.L,
            text_align=Align.L,
            line_height=4.5,
            first_row_as_headings=head is not None,
            headings_style=HEADINGS,
            cell_fill_mode=TableCellFillMode.NONE,
            padding=0.8,
        ) as table:
            if head is not None:
                table.row([latin(h) for h in head])
            for r in rows:
                table.row([latin(x) for x in r])


def render_pdf(report: Report) -> bytes:
    """The report as a PDF document (bytes)."""
    pdf = _Pdf(report)
    pdf.add_page()
    pdf.set_font(SANS, "B", 16)
    pdf.cell(0, 9, latin(f"Case report: {report.case}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if report.description:
        pdf.para(report.description)
    pdf.ln(1)
    pdf.grid(
        None,
        [
            ("Case", report.case),
            ("Agency", report.agency),
            ("Examiner", report.examiner_line),
            ("Generated", report.generated_utc),
            ("Selected items", report.selection_text),
        ],
        (1, 4),
    )

    pdf.heading("Counts")
    pdf.grid(("What", "Count"), [(c.label, str(c.value)) for c in report.counts], (3, 1), NARROW)

    pdf.heading("Triage")
    pdf.grid(
        ("Status", "Distinct contents"), [(c.label, str(c.value)) for c in report.by_status], (3, 1), NARROW
    )
    pdf.grid(("Review", "Contents"), [(c.label, str(c.value)) for c in report.review], (3, 1), NARROW)
    if report.by_category:
        pdf.grid(
            ("Known contents by category", "Contents"),
            [(k, str(n)) for k, n in report.by_category],
            (3, 1),
            NARROW,
        )

    pdf.heading("Links by rule")
    if not report.rules:
        pdf.para("No link around the case's media.")
    else:
        pdf.grid(
            ("Rule", "Links", "Strongest"),
            [(r.rule, str(r.count), f"{r.strongest:.2f}") for r in report.rules],
            (2, 1, 1),
            NARROW,
        )
        if pdf.will_page_break(20):
            pdf.add_page()
        shown = len(report.links)
        pdf.para(
            f"The strongest {shown} of {report.links_total} links:"
            if shown < report.links_total
            else "The links:"
        )
        pdf.grid(
            ("Rule", "Score", "From", "To"),
            [(k.rule, f"{k.score:.2f}", k.a, k.b) for k in report.links],
            (1.2, 0.8, 3, 3),
        )

    pdf.heading("Alerts from other cases and agencies")
    if not report.alerts:
        pdf.para("None.")
    else:
        pdf.grid(
            ("Other case", "Agency", "Rule", "Score", "Victim identified there", "Our item", "Since"),
            [
                (
                    a.other_case,
                    a.other_agency,
                    a.rule,
                    f"{a.score:.2f}",
                    "yes" if a.victim_identified else "no",
                    a.subject,
                    a.since,
                )
                for a in report.alerts
            ],
            (1.3, 1.3, 1, 0.7, 1, 2.2, 1.5),
        )

    pdf.heading(f"Selected items ({len(report.items)})")
    pdf.para(f"Selection: {report.selection_text}.", size=8)
    if report.items:
        _items(pdf, report)
    else:
        pdf.para("No item was selected.")
    return bytes(pdf.output())


def _items(pdf: _Pdf, report: Report) -> None:
    """The selected items: hashes (SHA-256 whole, on one line) with status, category, lists and a name; with
    the blurred thumbnail first when asked for."""
    thumbs = report.show == "thumbnails"
    head = ("Preview",) if thumbs else ()
    widths = (THUMB_MM, 100, 52) if thumbs else (100, 80)
    pdf.set_font(SANS, "", 8)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        text_align=Align.L,
        line_height=3.8,
        headings_style=HEADINGS,
        cell_fill_mode=TableCellFillMode.NONE,
        padding=0.8,
    ) as table:
        table.row([*head, "SHA-256 / MD5", "Status, category, lists, name"])
        for it in report.items:
            row = table.row()
            if thumbs:
                if it.thumbnail is not None:
                    row.cell(img=io.BytesIO(it.thumbnail), img_fill_width=True)
                else:
                    row.cell("no preview")
            row.cell(latin(it.sha256) + "\n" + latin(f"MD5 {it.md5 or '-'}"), style=HASH)
            about = [it.status.replace("_", "-")]
            if it.category:
                about.append(
                    f"category {it.category}" + (" (reviewer)" if it.category_source == "reviewer" else "")
                )
            if it.lists:
                about.append("lists: " + ", ".join(it.lists))
            if it.name:
                about.append(f"{it.name}" + (f" (+{it.files - 1} more files)" if it.files > 1 else ""))
            row.cell("\n".join(latin(x) for x in about))
