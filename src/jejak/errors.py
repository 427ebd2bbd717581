"""The error tree. Raised anywhere, translated only at the edges (CLI exit codes, API problem+JSON).

JejakError                     exit 1
├── ConfigError                exit 2   bad settings or arguments
├── MissingDependency          exit 3   an optional extra is not installed
│   └── MissingLibrary                  a system library (ctypes) is not installed
├── NotFound                   exit 4   a case, exhibit, list... that does not exist
├── AlreadyExists              exit 5   creating something that exists
├── EvidenceError              exit 6   evidence that cannot be opened at all
│   └── UnsupportedFormat               a container type we cannot read
├── LimitExceeded              exit 7   a configured safety limit was hit
├── StoreError                 exit 8   the database refused or is unusable
├── AccessDenied               exit 9   a role that may not do this (HTTP 403)
│   └── NotAuthenticated                no, a wrong, an expired or a revoked credential (HTTP 401)
└── AuditBroken                exit 10  the audit trail's hash chain does not verify
"""

from __future__ import annotations


class JejakError(Exception):
    exit_code = 1


class ConfigError(JejakError):
    exit_code = 2


class MissingDependency(JejakError):
    exit_code = 3

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"the optional module {module!r} is not installed: pip install 'jejak[{extra}]' "
            f"(or run 'make install', which installs every extra)"
        )
        self.module = module
        self.extra = extra


class MissingLibrary(MissingDependency):
    """A system library that jejak loads at run time (ctypes), not a Python extra, is not installed."""

    def __init__(self, library: str, package: str) -> None:
        JejakError.__init__(
            self,
            f"the system library {library!r} is not installed: apt-get install {package} "
            f"(Debian/Ubuntu; or run 'make install', which installs jejak's Debian packages)",
        )
        self.module = library
        self.extra = ""
        self.package = package


class NotFound(JejakError):
    exit_code = 4


class AlreadyExists(JejakError):
    exit_code = 5


class EvidenceError(JejakError):
    exit_code = 6


class UnsupportedFormat(EvidenceError):
    pass


class LimitExceeded(JejakError):
    exit_code = 7

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit


class StoreError(JejakError):
    exit_code = 8


class AccessDenied(JejakError):
    exit_code = 9


class NotAuthenticated(AccessDenied):
    pass


class AuditBroken(JejakError):
    exit_code = 10
