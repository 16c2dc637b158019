"""Request parsers: DRF's, with a body nested too deeply for Python's JSON decoder refused as a 400."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser turns a malformed body into a 400 (ParseError) but lets RecursionError
    through: `[[[[...` about 1,000 levels deep (2 KB, under every size limit) was a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - nested too deeply.") from error
