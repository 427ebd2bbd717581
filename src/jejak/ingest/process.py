"""Turn one leaf into records: read once for digests, sniff, decode images for PDQ and EXIF, and
expand containers (archives inline, top-level disk images into new leaves)."""

from __future__ import annotations

import collections
import os
import stat
from typing import BinaryIO

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFile, UnidentifiedImageError

from jejak.errors import EvidenceError, JejakError, LimitExceeded
from jejak.evidence.archives import expand_7z, expand_single_stream, expand_tar, expand_zip
from jejak.evidence.base import Member
from jejak.evidence.disk import DiskImage, open_disk_stream
from jejak.graph.found import in_exif, in_text
from jejak.graph.identifiers import looks_like_text
from jejak.hashing.audio import fingerprint
from jejak.hashing.image import as_pixels, open_image, reduce_for_hashing
from jejak.hashing.keyframes import NAME as KEYFRAMES_NAME
from jejak.hashing.keyframes import KeyframePicker
from jejak.hashing.preview import ContactSheet, thumbnail
from jejak.hashing.registry import HashOptions, check_unique_names, image_hashers
from jejak.hashing.robust import ENLARGED_NAME, describe, describe_enlarged
from jejak.hashing.robust import NAME as ROBUST_NAME
from jejak.hashing.stream import CHUNK, StreamHasher, hash_and_keep
from jejak.hashing.video import NAME as VPDQ_NAME
from jejak.hashing.video import hash_video
from jejak.ingest.deadline import DeadlineExceeded, deadline
from jejak.lists.vpdq import format_vpdq
from jejak.metadata.container import media_metadata, read_container
from jejak.metadata.exif import read_exif
from jejak.model import FileRecord, Kind, PathSpec, WarningRecord
from jejak.model.work import LeafTask, TaskResult
from jejak.walk.limits import ExpansionBudget, Limits
from jejak.walk.sniff import DECODABLE_IMAGES, DISK_TYPES, HEADER_BYTES, sniff


class _DiskCache:
    """Disk images opened by this worker process, reused across batches (opening E01 is not free)."""

    def __init__(self, size: int = 4) -> None:
        self._items: collections.OrderedDict[tuple[str, str], tuple[BinaryIO, DiskImage]] = (
            collections.OrderedDict()
        )
        self._size = size

    def get(self, os_path: str, layer: str) -> DiskImage:
        key = (os_path, layer)
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key][1]
        stream = open_disk_stream(layer, os_path, None)

        def _ignore(stage: str, message: str, ps: PathSpec | None) -> None:
            return None  # volume warnings were recorded when the image was first listed

        disk = DiskImage(stream, PathSpec.os_path(os_path), layer, _ignore)  # only its volumes are used
        self._items[key] = (stream, disk)
        while len(self._items) > self._size:
            _, (old, _) = self._items.popitem(last=False)
            old.close()
        return disk


_DISKS = _DiskCache()


class Processor:
    def __init__(self, limits: Limits, options: HashOptions) -> None:
        self.limits = limits
        self.options = options
        self.pdq_min_side = options.pdq_min_side
        # the robust stage describes the value channel max(R, G, B): a reduced decode must keep colour
        self._decode_mode = "RGB" if options.robust_features else "L"
        # Parallelism comes from worker processes, one per core: OpenCV's own thread pool (luma, ORB) only
        # contends with them (a 480p frame's luma took 7 ms instead of 1 ms on a busy machine).
        cv2.setNumThreads(1)
        check_unique_names()
        self.hashers = image_hashers()

    # -- leaves ---------------------------------------------------------------------------------
    def run(self, task: LeafTask) -> TaskResult:
        result = TaskResult(task.key)
        try:
            self._run(task, result)
        except JejakError as exc:
            result.warnings.append(WarningRecord("read", str(exc), task.pathspec))
        except OSError as exc:  # vanished, permission denied, I/O error
            result.warnings.append(
                WarningRecord("read", f"cannot be read: {exc.strerror or exc}", task.pathspec)
            )
        except Exception as exc:  # a bug or a library crash must not take the run down
            result.warnings.append(WarningRecord("internal", f"{type(exc).__name__}: {exc}", task.pathspec))
        return result

    def _run(self, task: LeafTask, result: TaskResult) -> None:
        ps = task.pathspec
        member = Member(
            ps,
            task.size,
            deleted=task.deleted,
            mtime=task.mtime,
            atime=task.atime,
            ctime=task.ctime,
            crtime=task.crtime,
        )
        root = ps.segments[0]
        if len(ps.segments) == 1:
            path = root.location
            st = os.stat(path, follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode):
                result.warnings.append(WarningRecord("walk", "not a regular file: not read", ps))
                return
            if task.enumerate_only:
                self._enumerate_disk(ps, result)
                return
            with open(path, "rb") as stream:
                self._process(member, stream, True, 0, ExpansionBudget(self.limits), result, top=True)
            return
        layer = ps.segments[1].type
        vol, fs = ps.segments[2], ps.segments[3]
        disk = _DISKS.get(root.location, layer)
        inode = fs.get("inode")
        offset = vol.get("offset")
        if not isinstance(inode, int) or not isinstance(offset, int):
            raise EvidenceError(f"disk leaf without an inode or volume offset: {ps.readable()}")
        with disk.open_file(offset, inode) as fstream:
            self._process(member, fstream, True, 0, ExpansionBudget(self.limits), result, top=False)

    def _enumerate_disk(self, ps: PathSpec, result: TaskResult) -> None:
        with open(ps.segments[0].location, "rb") as f:
            header = f.read(HEADER_BYTES)
        self._list_disk(ps, "ewf" if sniff(header).container == "ewf" else "raw", result)

    def _list_disk(self, ps: PathSpec, layer: str, result: TaskResult) -> None:
        """The files of a disk image on the host, as new leaves (metadata only: nothing is read yet)."""

        def warn(stage: str, message: str, where: PathSpec | None) -> None:
            result.warnings.append(WarningRecord(stage, message, where or ps))

        stream = open_disk_stream(layer, ps.segments[0].location, None)
        try:
            disk = DiskImage(stream, ps, layer, warn)
            for m in disk.iter_files(warn):
                result.children.append(
                    LeafTask(m.pathspec, m.size, m.deleted, m.mtime, m.atime, m.ctime, m.crtime)
                )
        finally:
            stream.close()

    # -- one stream -----------------------------------------------------------------------------
    def _process(
        self,
        member: Member,
        stream: BinaryIO,
        seekable: bool,
        depth: int,
        budget: ExpansionBudget,
        result: TaskResult,
        top: bool,
    ) -> None:
        ps = member.pathspec
        rec = FileRecord(
            ps,
            ps.name(),
            member.size,
            member.deleted,
            member.mtime,
            member.atime,
            member.ctime,
            member.crtime,
        )
        result.records.append(rec)
        lim = self.limits
        if top and member.size is not None and member.size > lim.max_file_size:
            rec.warn("limit", f"file of {member.size} bytes is over JEJAK_MAX_FILE_SIZE: not read")
            return
        if seekable and (top or (member.size or 0) > lim.spool_memory):
            # A host file (or a large file in a disk image): digest in place, and read it again from the
            # start (page cache) to decode, rather than copying it into memory.
            h = StreamHasher()
            failed = False
            try:
                while chunk := stream.read(CHUNK):
                    h.update(chunk)
            except OSError as exc:
                failed = True
                rec.warn("read", f"read failed after {h.size} bytes: {exc}")
            digests = h.digests(complete=not failed)
            stream.seek(0)
            data = stream
        else:
            cap, setting = (
                (lim.max_file_size, "JEJAK_MAX_FILE_SIZE")
                if top
                else budget.member_cap(member.compressed_size)
            )
            kept = hash_and_keep(stream, cap, lim.spool_memory)
            if kept.error:
                stage = "limit" if kept.error.startswith("stopped reading at the limit") else "read"
                rec.warn(stage, f"{kept.error} ({setting})" if stage == "limit" else kept.error)
            if not top:
                budget.spend(kept.digests.size)
            digests, data = kept.digests, kept.data
        result.bytes_read += digests.size
        if rec.size is None or digests.complete:
            rec.size = digests.size
        if not digests.complete:
            # Digests of a partial read would name content that does not exist: keep none.
            if data is not stream:
                data.close()
            return
        rec.md5, rec.sha1, rec.sha256 = digests.md5, digests.sha1, digests.sha256
        header = data.read(HEADER_BYTES)
        data.seek(0)
        kind = sniff(header)
        rec.mime, rec.kind = kind.mime, kind.kind
        if kind.mime == "application/x-empty":
            rec.warn("read", "empty file")
        try:
            if kind.kind == Kind.IMAGE and kind.mime in DECODABLE_IMAGES:
                self._image(rec, data)
            elif kind.kind in (Kind.VIDEO, Kind.AUDIO):
                self._media(rec, data, kind.kind)
            elif kind.container is not None:
                self._container(rec, kind.container, data, depth, budget, result, top)
            elif self.options.identifiers_max_bytes and looks_like_text(header):
                self._identifiers(rec, data)
        finally:
            if data is not stream:
                data.close()

    # -- text ---------------------------------------------------------------------------------------
    def _identifiers(self, rec: FileRecord, data: BinaryIO) -> None:
        """Online identifiers in a text file or chat export (``graph.found``)."""
        opts = self.options
        try:
            with deadline(self.limits.max_media_seconds):  # digit-dense text is slow for phone matching
                text = data.read(opts.identifiers_max_bytes)
                found, warning = in_text(rec.name, text, opts.identifiers_region, opts.identifiers_max_bytes)
        except DeadlineExceeded:
            rec.warn(
                "timeout",
                f"reading identifiers took longer than {self.limits.max_media_seconds}s "
                "(JEJAK_MAX_MEDIA_SECONDS): none kept for this file",
            )
            return
        except Exception as exc:  # a parser bug must not lose the file's other records
            rec.warn("identifiers", f"identifiers cannot be read: {type(exc).__name__}: {exc}")
            return
        if warning:
            rec.warn("identifiers", warning)
        rec.identifiers = found

    # -- images ---------------------------------------------------------------------------------
    def _image(self, rec: FileRecord, data: BinaryIO) -> None:
        try:
            with deadline(self.limits.max_media_seconds):
                self._decode_and_hash(rec, data)
        except DeadlineExceeded:
            rec.warn(
                "timeout",
                f"decoding took longer than {self.limits.max_media_seconds}s "
                "(JEJAK_MAX_MEDIA_SECONDS): no perceptual hash",
            )
        except LimitExceeded as exc:
            rec.warn("limit", str(exc))
        except UnidentifiedImageError:
            rec.warn("decode", "image signature but no decodable image: damaged or not really an image")
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            rec.warn("decode", f"image cannot be decoded: {exc}")
        except Exception as exc:  # decoders raise odd types on hostile input
            rec.warn("decode", f"image cannot be decoded: {type(exc).__name__}: {exc}")

    def _decode_and_hash(self, rec: FileRecord, data: BinaryIO) -> None:
        im = open_image(data, self.limits.max_image_pixels)
        rec.width, rec.height = im.size
        try:
            exif = read_exif(im)
        except Exception as exc:
            rec.warn("exif", f"EXIF cannot be read: {type(exc).__name__}: {exc}")
            exif = None
        if exif is not None and not exif.is_empty():
            rec.exif = exif
            if self.options.identifiers_max_bytes:
                rec.identifiers = in_exif(exif, self.options.identifiers_region)
        thumb = self.options.thumbnail_size
        mode = self._decode_mode
        if mode == "L" and thumb:
            # The thumbnail needs colour: a reduced JPEG decode in YCbCr hands over the very Y channel an L
            # decode gives (so PDQ is bit for bit the same) and the chroma, without converting to RGB.
            mode = "YCbCr"
        opened_mode = im.mode
        reduce_for_hashing(im, self.pdq_min_side, mode)
        try:
            im.load()
        except OSError as exc:
            if "truncated" not in str(exc):
                raise
            rec.warn("decode", f"truncated image: perceptual hash of the part that decodes ({exc})")
            data.seek(0)
            im = open_image(data, self.limits.max_image_pixels)
            reduce_for_hashing(im, self.pdq_min_side, mode)
            ImageFile.LOAD_TRUNCATED_IMAGES = True
            try:
                im.load()
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = False
        luma_only = im.mode == "YCbCr" and opened_mode != "YCbCr"  # reduced for a thumbnail, above
        pixels = as_pixels(im.getchannel(0) if luma_only else im)  # converted once for every hasher
        for hasher in self.hashers:
            rec.hashes.extend(hasher.hash_image(pixels))
        if self.options.robust_features:
            try:
                desc = describe(
                    pixels,
                    features=self.options.robust_features,
                    mirror=True,
                    max_side=self.options.robust_max_side,
                )
                rec.descriptors[ROBUST_NAME] = desc.to_bytes()
                big = describe_enlarged(
                    pixels,
                    features=self.options.robust_features,
                    max_side=self.options.robust_max_side,
                    below=self.options.robust_enlarge_below,
                )
                if big is not None:
                    rec.descriptors[ENLARGED_NAME] = big.to_bytes()
            except Exception as exc:  # OpenCV raises cv2.error on odd inputs
                rec.warn("robust", f"robust descriptor failed: {type(exc).__name__}: {exc}")
        if thumb:
            # From the picture decoded for PDQ (its RGB pixels when the hashers needed them converted): the
            # thumbnail costs no second decode.
            shown = im if im.mode in ("RGB", "L", "YCbCr") else Image.fromarray(pixels)
            try:
                rec.previews["thumbnail"] = thumbnail(
                    shown, thumb, exif.orientation if exif is not None else None
                )
            except DeadlineExceeded:
                raise
            except Exception as exc:  # Pillow and OpenCV raise odd types on odd pictures
                rec.warn("decode", f"thumbnail cannot be made: {type(exc).__name__}: {exc}")

    # -- video and audio ------------------------------------------------------------------------
    def _media(self, rec: FileRecord, data: BinaryIO, kind: Kind) -> None:
        """Container metadata, vPDQ frame hashes and a contact sheet (videos), and the Chromaprint
        fingerprint of the audio track: each step that fails is a warning, the others still run."""
        opts = self.options
        video = kind == Kind.VIDEO and opts.video_fps is not None
        if not video and not opts.audio:
            return
        try:
            with deadline(self.limits.max_media_seconds):
                info = read_container(data)
                if info.error:
                    rec.warn("decode", f"container cannot be read: {info.error}")
                    return
                rec.exif = media_metadata(info)
                if kind == Kind.VIDEO and info.width:
                    rec.width, rec.height = info.width, info.height
                if video and info.video_codec is not None:
                    data.seek(0)
                    self._video(rec, data, info.duration)
                if opts.audio and info.audio_codec is not None:
                    data.seek(0)
                    self._audio(rec, data)
        except DeadlineExceeded:
            rec.warn(
                "timeout",
                f"decoding took longer than {self.limits.max_media_seconds}s (JEJAK_MAX_MEDIA_SECONDS): "
                "media hashes incomplete",
            )

    def _video(self, rec: FileRecord, data: BinaryIO, duration: float | None) -> None:
        opts = self.options
        sheet = ContactSheet(opts.contact_sheet_frames, duration)
        keys = None
        if opts.video_keyframes and opts.robust_features:
            keys = KeyframePicker(
                duration,
                opts.robust_features,
                mirror=True,
                max_side=opts.robust_max_side,
                spacing=opts.video_keyframe_seconds,
                maximum=opts.video_keyframes,
            )

        def on_frame(pixels: NDArray[np.uint8], seconds: float) -> None:
            sheet.add(pixels, seconds)
            if keys is not None:
                try:
                    keys.add(pixels, seconds)
                except cv2.error as exc:
                    rec.warn("robust", f"keyframe at {seconds:.1f}s cannot be described: {exc}")

        try:
            vh = hash_video(
                data,
                fps=opts.video_fps or None,
                max_seconds=opts.max_media_duration,
                on_frame=on_frame if opts.contact_sheet_frames or keys is not None else None,
                wants=lambda t: sheet.wants(t) or (keys is not None and keys.wants(t)),
            )
        except EvidenceError as exc:
            rec.warn("decode", f"video cannot be hashed: {exc}")
            return
        except DeadlineExceeded:
            raise
        except Exception as exc:  # decoders raise odd types on hostile input
            rec.warn("decode", f"video cannot be hashed: {type(exc).__name__}: {exc}")
            return
        for w in vh.warnings:
            rec.warn("decode", w)
        if vh.frames:
            rec.descriptors[VPDQ_NAME] = format_vpdq(vh.frames).encode()
        if keys is not None and keys.frames:
            rec.descriptors[KEYFRAMES_NAME] = keys.result().to_bytes()
        sheet_jpeg = sheet.jpeg()
        if sheet_jpeg is not None:
            rec.previews["contact_sheet"] = sheet_jpeg

    def _audio(self, rec: FileRecord, data: BinaryIO) -> None:
        try:
            fp = fingerprint(data, max_seconds=self.options.max_media_duration)
        except EvidenceError as exc:
            rec.warn("decode", f"audio cannot be fingerprinted: {exc}")
            return
        except DeadlineExceeded:
            raise
        except JejakError as exc:  # the Chromaprint library is missing
            rec.warn("audio", str(exc))
            return
        except Exception as exc:
            rec.warn("decode", f"audio cannot be fingerprinted: {type(exc).__name__}: {exc}")
            return
        for w in fp.warnings:
            rec.warn("decode", w)
        if len(fp):
            rec.descriptors[fp.NAME] = fp.to_bytes()

    # -- containers -----------------------------------------------------------------------------
    def _container(
        self,
        rec: FileRecord,
        container: str,
        data: BinaryIO,
        depth: int,
        budget: ExpansionBudget,
        result: TaskResult,
        top: bool,
    ) -> None:
        ps = rec.pathspec
        if depth >= self.limits.max_depth:
            rec.warn("limit", f"container nested {depth} deep: not opened (JEJAK_MAX_DEPTH)")
            return
        if container in DISK_TYPES:
            if rec.kind != Kind.DISK_IMAGE:
                return
            if top and len(ps.segments) == 1:
                # A top-level image: its files become leaves of their own, hashed in parallel.
                try:
                    self._list_disk(ps, container, result)
                except EvidenceError as exc:
                    rec.warn("disk", str(exc))
                return
            self._disk_inline(rec, container, data, depth, budget, result)
            return

        def visit(member: Member, stream: BinaryIO | None, problem: str | None) -> None:
            member.deleted = member.deleted or rec.deleted
            if stream is None:
                child = FileRecord(
                    member.pathspec, member.pathspec.name(), member.size, member.deleted, member.mtime
                )
                child.warn("archive", problem or "member not readable")
                result.records.append(child)
                return
            self._process(member, stream, False, depth + 1, budget, result, top=False)

        def warn(stage: str, message: str, where: PathSpec | None) -> None:
            result.warnings.append(WarningRecord(stage, message, where or ps))

        try:
            if container == "zip":
                expand_zip(data, ps, visit, warn, self.limits.max_archive_members)
            elif container == "tar":
                expand_tar(data, ps, visit, warn, self.limits.max_archive_members)
            elif container == "7z":
                expand_7z(data, ps, visit, warn, budget, self.limits.spool_memory)
            else:
                expand_single_stream(container, data, ps, visit)
        except LimitExceeded as exc:
            rec.warn("limit", str(exc))
        except Exception as exc:  # corrupt archives raise many types; keep what was read
            rec.warn("archive", f"{container} archive cannot be fully read: {type(exc).__name__}: {exc}")

    def _disk_inline(
        self,
        rec: FileRecord,
        layer: str,
        data: BinaryIO,
        depth: int,
        budget: ExpansionBudget,
        result: TaskResult,
    ) -> None:
        """A disk image inside an archive: walk and hash it here, from the buffered stream."""
        ps = rec.pathspec

        def warn(stage: str, message: str, where: PathSpec | None) -> None:
            result.warnings.append(WarningRecord(stage, message, where or ps))

        try:
            media = open_disk_stream(layer, None, data)
            disk = DiskImage(media, ps, layer, warn)
            for m in disk.iter_files(warn):
                vol = m.pathspec.segments[-2]
                inode = m.pathspec.last.get("inode")
                offset = vol.get("offset")
                assert isinstance(inode, int) and isinstance(offset, int)
                with disk.open_file(offset, inode) as f:
                    m.deleted = m.deleted or rec.deleted
                    self._process(m, f, False, depth + 1, budget, result, top=False)
        except LimitExceeded as exc:
            rec.warn("limit", str(exc))
        except Exception as exc:
            rec.warn("disk", f"disk image cannot be read: {type(exc).__name__}: {exc}")


_PROCESSORS: dict[tuple[Limits, HashOptions], Processor] = {}


def process_batch(tasks: list[LeafTask], limits: Limits, options: HashOptions) -> list[TaskResult]:
    """The worker entry point, identical for the process pool and for Dask."""
    key = (limits, options)
    proc = _PROCESSORS.get(key)
    if proc is None:
        proc = _PROCESSORS[key] = Processor(limits, options)
    return [proc.run(t) for t in tasks]
