"""Container metadata: phone tags (Apple, Android, plain), ISO 6709 places, rotation, audio, and failure."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from jejak.metadata.container import media_metadata, parse_iso6709, read_container
from jejak.model.records import GpsPoint
from jejak.testing.videos import VideoSpec, write_video

APPLE = {
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 12",
    "com.apple.quicktime.location.ISO6709": "+52.3731+004.8922+002.500/",
    "com.apple.quicktime.creationdate": "2024-05-06T09:08:09+0200",
    "creation_time": "2024-05-06T07:08:09.000000Z",
}
ANDROID = {
    "com.android.manufacturer": "Google",
    "com.android.model": "Pixel 7",
    "location": "-33.8568+151.2153/",
    "creation_time": "2023-12-31T23:59:58.000000Z",
}


def test_an_iphone_style_mp4(tmp_path: Path) -> None:
    spec = VideoSpec(width=64, height=48, seconds=1, rotation=270, tags=APPLE, audio="sine")
    info = read_container(write_video(tmp_path / "IMG_0001.mov", spec))
    assert info.error is None
    assert (info.make, info.model) == ("Apple", "iPhone 12")
    assert info.creation_time == "2024-05-06T09:08:09+02:00"  # Apple's local time with its offset wins
    assert info.gps == GpsPoint(52.3731, 4.8922, 2.5)
    assert (info.video_codec, info.fps, info.rotation, info.width, info.height) == ("h264", 25.0, 270, 48, 64)
    assert (info.audio_codec, info.audio_sample_rate, info.audio_channels) == ("aac", 44100, 1)
    assert info.duration is not None and 0.9 < info.duration < 1.2
    assert info.tags["com.apple.quicktime.model"] == "iPhone 12"
    exif = media_metadata(info)
    assert (exif.make, exif.model, exif.datetime_original, exif.gps) == (
        "Apple",
        "iPhone 12",
        "2024-05-06T09:08:09+02:00",
        info.gps,
    )
    assert exif.orientation == 6  # turned 270 degrees counter-clockwise = EXIF "rotate 90 CW"
    assert exif.extra["video_codec"] == "h264" and exif.extra["audio_channels"] == 1


def test_an_android_style_mp4(tmp_path: Path) -> None:
    info = read_container(
        write_video(tmp_path / "VID_2023.mp4", VideoSpec(seconds=1, rotation=90, tags=ANDROID))
    )
    assert (info.make, info.model) == ("Google", "Pixel 7")
    assert info.creation_time == "2023-12-31T23:59:58+00:00"
    assert info.gps == GpsPoint(-33.8568, 151.2153, None)
    assert (info.rotation, info.width, info.height) == (90, 120, 160)
    assert info.audio_codec is None and info.audio_sample_rate is None


def test_plain_tags_in_matroska_and_webm(tmp_path: Path) -> None:
    tags = {"make": "Acme", "model": "DashCam 2", "location": "+40.6892-074.0445/"}
    mkv = read_container(write_video(tmp_path / "a.mkv", VideoSpec(seconds=1, container="mkv", tags=tags)))
    assert (mkv.make, mkv.model, mkv.gps) == ("Acme", "DashCam 2", GpsPoint(40.6892, -74.0445))
    assert mkv.tags["MAKE"] == "Acme"  # Matroska keeps tag names upper-case
    webm = read_container(
        write_video(tmp_path / "a.webm", VideoSpec(seconds=1, container="webm", audio="noise"))
    )
    assert (webm.video_codec, webm.audio_codec, webm.audio_sample_rate) == ("vp9", "opus", 48000)
    assert webm.make is None and webm.gps is None and webm.rotation == 0


def test_avi_and_3gp(tmp_path: Path) -> None:
    avi = read_container(write_video(tmp_path / "a.avi", VideoSpec(seconds=1, container="avi", audio="sine")))
    assert (avi.video_codec, avi.audio_codec, avi.width, avi.height) == ("mpeg4", "mp3", 160, 120)
    spec = VideoSpec(width=176, height=144, seconds=1, container="3gp", codec="h263", audio="sine")
    phone = read_container(write_video(tmp_path / "a.3gp", spec))
    assert (phone.video_codec, phone.audio_codec, phone.audio_sample_rate) == ("h263", "amr_nb", 8000)


def test_metas_sample_video(testdata: Path) -> None:
    path = testdata / "threatexchange" / "tmk" / "sample-videos" / "doorknob-hd-no-bar.mp4"
    info = read_container(io.BytesIO(path.read_bytes()))
    assert (info.video_codec, info.width, info.height, info.fps, info.rotation) == (
        "h264",
        1280,
        720,
        30.0,
        0,
    )
    assert (info.audio_codec, info.audio_sample_rate, info.audio_channels) == ("aac", 48000, 2)
    assert info.duration is not None and abs(info.duration - 4.309) < 0.01


def test_failures_are_a_field_not_an_exception(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 20)
    assert read_container(junk).error is not None
    missing = read_container(tmp_path / "missing.mp4")
    assert missing.error is not None and missing.duration is None


@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("+52.3731+004.8922/", GpsPoint(52.3731, 4.8922)),
        ("+52.3731+004.8922+002.500/", GpsPoint(52.3731, 4.8922, 2.5)),
        ("-33.8568+151.2153-010/", GpsPoint(-33.8568, 151.2153, -10.0)),
        ("+5222.386+00453.532/", GpsPoint(52 + 22.386 / 60, 4 + 53.532 / 60)),  # degrees and minutes
        ("+522223.16-0045311.9/", GpsPoint(52 + 22 / 60 + 23.16 / 3600, -(4 + 53 / 60 + 11.9 / 3600))),
        ("+40.6892-074.0445CRSWGS_84/", GpsPoint(40.6892, -74.0445)),
        ("+40.6892-074.0445", GpsPoint(40.6892, -74.0445)),
        ("+95.0000+004.0000/", None),  # latitude out of range
        ("52.37,4.89", None),
        ("", None),
    ],
)
def test_iso6709(text: str, point: GpsPoint | None) -> None:
    got = parse_iso6709(text)
    if point is None:
        assert got is None
    else:
        assert got is not None
        assert (
            got.lat == pytest.approx(point.lat)
            and got.lon == pytest.approx(point.lon)
            and got.alt == point.alt
        )
