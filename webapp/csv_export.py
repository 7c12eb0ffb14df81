"""CSV downloads that open in a Swedish spreadsheet: semicolons, a BOM, and no cell that the
spreadsheet could run as a formula."""
from __future__ import annotations

import csv
import io

from flask import Response


def csv_cell(value) -> str:
    """Text that a spreadsheet could run as a formula is prefixed with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return "\ufeff" + out.getvalue()  # BOM: Excel opens Swedish characters correctly


def csv_response(body: str, filename: str) -> Response:
    """A download, never cached (it holds personal data)."""
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
