"""The review web UI (role ``ui`` of ``jejak serve``): server-rendered pages (Jinja2) over the same services
as the API, with small scripts of our own for the keyboard and live progress; every asset is in the package
(works offline, no CDN). Media are shown greyscale and blurred by the server; a reveal goes through the API's
audited preview endpoint. See docs/ui.md."""
