"""JSON responses for handlers that build their response model themselves."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def model_json(model: BaseModel, status_code: int = 200) -> Response:
    """`model` as the JSON body FastAPI would send for it. A handler that returns the model
    itself has it validated again before it is serialised, and for a plain `def` handler that
    is one more trip to a worker thread: on the busiest writes (an answer saved, a verdict with
    the whole sheet) both cost more than building the model did. The route keeps its
    `response_model` for the API's documentation."""
    return Response(
        content=model.model_dump_json(by_alias=True),
        status_code=status_code,
        media_type="application/json",
    )
