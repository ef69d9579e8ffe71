"""The error types govgraph raises; the CLI prints them in one line, the web app answers with their status.

Each class carries its HTTP ``status`` (and ``retry_after`` seconds where trying again later
helps), so the pages, the JSON API and ``/sparql`` answer an error the same way; ``details()``
is what a JSON answer adds beside the message.
"""
from __future__ import annotations


class GovGraphError(Exception):
    """Base class for every error govgraph reports to a user."""
    #: the HTTP status the web app answers with
    status = 400
    #: seconds after which trying again may work (a Retry-After header), or None
    retry_after: int | None = None
    #: what to do about it, added to the message of a JSON answer ("" for nothing)
    advice = ""

    def details(self) -> dict:
        """What a JSON error answer adds beside the message."""
        return {}


class BadInput(GovGraphError):
    """Input that cannot be read: names the file and, where known, the line and column."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: int | None = None):
        self.file, self.line, self.column, self.detail = file, line, column, message
        where = file or ""
        if line is not None:
            where += f":{line}" + (f":{column}" if column is not None else "")
        super().__init__(f"{where}: {message}" if where else message)


class UnknownAsset(GovGraphError):
    """An IRI that names nothing in the store; carries close matches as suggestions."""
    status = 404

    def details(self) -> dict:
        return {"suggestions": self.suggestions}

    def __init__(self, iri: str, suggestions: list[str] | None = None, *, names: list[str] | None = None):
        """``names``: how to show the suggestions to a person (by name and kind), else their IRIs."""
        self.iri, self.suggestions = iri, list(suggestions or [])
        shown = list(names or self.suggestions)
        hint = f" (did you mean: {'; '.join(shown[:10])}?)" if shown else ""
        super().__init__(f"unknown asset {iri}{hint}")


class NotRecordedThen(UnknownAsset):
    """An IRI that names nothing in the estate as it was at an as-of moment (it may exist now)."""

    def __init__(self, iri: str, moment: str):
        super().__init__(iri)
        self.moment = moment
        self.args = (f"{iri} was not recorded on {moment}: nothing in the history describes it then",)

    def __str__(self) -> str:
        return self.args[0]


class UnknownSource(GovGraphError):
    """A source name that is not loaded in the store."""
    status = 404


class ConflictError(GovGraphError):
    """A write refused because another writer changed the same thing first (nothing was changed)."""
    status = 409


class InstallationFault(GovGraphError):
    """A file govgraph needs at run time is missing or unreadable (not the caller's fault); the
    web app answers 500 with the message."""
    status = 500


class QueryTimeLimit(GovGraphError):
    """A query or update that ran past its time limit and was stopped (it asks too much; nothing was
    changed); the web app answers 422."""
    status = 422


class NeedsAdmin(GovGraphError):
    """A change only an administrator may make (nothing was changed): the web app answers 403."""
    status = 403


class HarvestFailed(GovGraphError):
    """A system to harvest cannot be read at all (unreachable, refused login): nothing was written."""
    status = 502


class StoreError(GovGraphError):
    """The store cannot be opened or reached (bad URL, locked directory, server down)."""


class StoreUnavailable(StoreError):
    """A remote store that is not answering (the web app answers 503; retry later)."""
    status = 503
    retry_after = 5
    advice = "try again in a moment"

    def __init__(self, message: str, reason: str = ""):
        self.reason = reason or message
        super().__init__(message)


class StoreTimeout(StoreUnavailable, TimeoutError):
    """A remote store that did not answer one request within its time limit."""


class StoreQueryFailed(StoreError):
    """A remote store that answered, but refused or failed one query or update (a compiler error,
    a limit of the server's): trying again gives the same answer, so the web app answers 502 (bad
    gateway) with the server's message, not 503."""
    status = 502


class ValidationFailed(GovGraphError):
    """An import rejected because the data breaks shapes with sh:Violation severity."""

    status = 422

    def __init__(self, report, message: str | None = None):
        self.report = report
        super().__init__(message or "import rejected: the data breaks the council's data principles")

    def details(self) -> dict:
        rep = self.report
        return {"report": rep.to_dict() if hasattr(rep, "to_dict") else None}


class Busy(GovGraphError):
    """Work refused or stopped because the server is at its limit for that kind of work; nothing was
    changed (the web app answers 503 with ``Retry-After``)."""
    status = 503

    def __init__(self, message: str, retry_after: int = 5):
        self.retry_after = retry_after
        super().__init__(message)


class Preparing(Busy):
    """What the request needs is being made in the background (a reader's redacted copy of a large estate); asked
    again after ``retry_after`` seconds it is answered from it. Nothing was changed."""
    title = "Your view of the directory is being prepared"


class TimeLimitExceeded(Busy):
    """Work stopped because it ran past its time limit (it stopped for real: nothing goes on after)."""
