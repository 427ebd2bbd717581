"""Project VIC VICS JSON: hash sets (``#Media``) and case exports (``#Cases``), versions 1.1-1.3 and 2.0.

The shape, as exported by Griffeye, X-Ways X-Tensions, AXIOM and friends::

    {"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media",
     "value": [{"MediaID": 1, "Category": 1, "MD5": "ADEB...", "SHA1": "2B03...", "MediaSize": 2835,
                "AlternativeHashes": [{"HashName": "PhotoDNA", "HashValue": "<192 base64>"}], ...}, ...]}

Version 1.x says ``"odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media"`` instead.
``#Cases`` wraps the media in ``value[i].Media[]`` beside case fields (CaseID, CaseNumber, Contact*,
Source*), and each media may carry ``MediaFiles[]`` (where copies were found) and ``Exifs[]``
(PropertyName/Value pairs).

Reading streams with ijson (yajl2_c): a short event pre-scan reads the top-level keys up to the media array
and decides the shape (from the context URL, else from the keys of the first item); ``ijson.items`` then
builds the media one by one in C. Keys written *after* the media array (case fields that a key-sorting
exporter puts after ``Media``, an ``odata.nextLink``) are read at the end from a small window around the last
media, located by its byte position; should that fail, one slow event pass over the file collects them.
Either way they land in ``header.extra`` once the iterator is exhausted.

Quirks handled, all seen in real exports or their writers' source:

- a UTF-8 byte-order mark; keys in any case (``MD5``/``md5``, ``SourceID``/``sourceID``);
- booleans as JSON, or as strings "true"/"false"/"True"/"1"/"0"/"yes"; numbers as strings (``"MediaSize":
  "2835"``, ``"Category": "1"``); upper- or lower-case hex;
- OData decorations: ``odata.id``, ``odata.editLink``, ``X@odata.navigationLinkUrl``, ``__metadata``,
  ``__deferred`` and the verbose ``{"results": [...]}`` collection wrapper (also a top-level ``{"d": ...}``):
  they are kept as unknown keys, and wrapped collections are read through;
- ``Category`` null means uncategorised (Category None), never code 0 unless the file says 0 (some writers
  omit a 0 category altogether; we do not guess);
- PhotoDNA (144 bytes: 192 base64 or 288 hex characters) from ``AlternativeHashes`` HashName "PhotoDNA" or a
  ``PhotoDNA`` field, kept as read, never matched; SHA-256 and PDQ from ``AlternativeHashes`` or own fields;
- date-times in any of the forms exporters write (``parse_vics_datetime``): ISO 8601 with 0-7+ fractional
  digits, with or without ``Z`` or an offset (even ``+01:00Z``), and .NET ``/Date(ms)/``, ``/Date(ms+0100)/``.

Categories are read in the profile's scheme: ``vic-us`` for 2.0 US, Default and CUSTOM and for 1.x, ``uk``
for the 2.0 UK profile; ``read_list(..., scheme=...)`` overrides it (e.g. ``vic-legacy`` for an old 0-5 file).

Nothing is dropped on import: every key without a slot in ListEntry (MediaID, Comments, Tags, DateUpdated,
IsPrecategorized, MediaFiles, Exifs, unknown vendor keys...) is kept in ``ListEntry.extra`` with its raw
value, and so are mapped keys whose value had no model value (``"Series": null``) or could not be read (a
malformed MD5: a problem is logged and the raw value kept). ``extra["AlternativeHashes"]`` holds the list as
read, for a faithful re-export. MediaID is also ``external_id``. Top-level and case-level keys go to
``header.extra`` (``top`` and ``case``). Writing the entries back with the header gives a semantically equal
file for well-formed input (string booleans and numbers come back as JSON booleans and numbers).
"""

from __future__ import annotations

from jejak.lists.vics.common import (
    PROFILES,
    context_url,
    default_scheme,
    format_vics_datetime,
    parse_context,
    parse_vics_datetime,
)
from jejak.lists.vics.read import open_vics
from jejak.lists.vics.write import VicsCase, VicsCaseMedia, VicsMediaFile, write_vics, write_vics_case

__all__ = [
    "PROFILES",
    "VicsCase",
    "VicsCaseMedia",
    "VicsMediaFile",
    "context_url",
    "default_scheme",
    "format_vics_datetime",
    "open_vics",
    "parse_context",
    "parse_vics_datetime",
    "write_vics",
    "write_vics_case",
]
