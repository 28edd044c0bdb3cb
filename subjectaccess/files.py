"""The export's files in the private storage (``MEDIA_ROOT/subject-access/``), written so that a job
killed part way (out of memory, past its time limit, the machine restarted) leaves nothing a request
does not point to for long.

Writing. The PDF and the archive are built in files under ``subject-access/.partial/`` (named by the
request's number), then moved to their own names in the transaction that saves them on the request: a
rename on the same file system, so a file under a request's folder is always whole. A job that dies
before the rename leaves a partial file; one that dies after it, before its transaction commits,
leaves a whole file that no request points to; one that dies after the commit leaves the export it
replaced (deleted once the transaction commits). A storage other than the file system (an object
store) writes each object whole; its partial files are in the machine's temporary folder.

Sweeping (the daily job ``subject_access_files``, ``subjectaccess.jobs``). Every file under
``subject-access/`` that no request points to is deleted, partial ones included, except those of a
request whose export a job is producing now (its claim is live: ``CLAIM_EXPIRES``), whose new files
are not yet saved on it; and the export of a request released or withdrawn more than
``SUBJECT_ACCESS_EXPORT_KEEP_DAYS`` ago is deleted (``export_deleted_at``): the request, its dates,
what was withheld and why, and the files' SHA-256 stay.
"""

import contextlib
import os
import tempfile
from datetime import timedelta

from django.core.files import File

ROOT = "subject-access"
PARTIAL = f"{ROOT}/.partial"


class MovedFile(File):
    """A file already written whole, which the file system storage moves into place (``os.rename``)
    rather than copying: Django's ``FileSystemStorage`` moves any content with a
    ``temporary_file_path``. Other storages read it."""

    def __init__(self, path):
        super().__init__(open(path, "rb"), name=os.path.basename(path))  # noqa: SIM115 (closed by the caller)
        self._path = path

    def temporary_file_path(self):
        return self._path


def _partial_directory(storage):
    try:
        directory = storage.path(PARTIAL)
    except NotImplementedError:  # not on the file system: the machine's temporary folder
        return None
    os.makedirs(directory, exist_ok=True)
    return directory


@contextlib.contextmanager
def partial_files(storage, request_id):
    """``new(suffix)``: a new partial file of the request, open for writing (binary), in the storage's
    partial folder. Whatever was not moved into place is removed on leaving, however the block ends
    (but for a killed process: the sweep's work)."""
    directory = _partial_directory(storage)
    made = []

    def new(suffix):
        file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (the caller closes it)
            dir=directory, prefix=f"{request_id}-", suffix=suffix, delete=False
        )
        made.append(file.name)
        return file

    try:
        yield new
    finally:
        for path in made:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


def stored_files(storage, top=ROOT):
    """Every file's name under ``top`` in the storage, in every folder below it."""
    try:
        folders, files = storage.listdir(top)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{top}/{name}"
    for folder in folders:
        yield from stored_files(storage, f"{top}/{folder}")


def request_of(name) -> int | None:
    """The request a stored file belongs to, from its name (``subject-access/12/…`` or a partial file
    ``subject-access/.partial/12-….pdf``), or None."""
    parts = name.split("/")
    if len(parts) < 3 or parts[0] != ROOT:
        return None
    text = parts[2].split("-", 1)[0] if parts[1] == ".partial" else parts[1]
    return int(text) if text.isdigit() else None


def keep_days() -> timedelta:
    from django.conf import settings

    return timedelta(days=settings.SUBJECT_ACCESS_EXPORT_KEEP_DAYS)
