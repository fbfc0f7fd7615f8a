"""The config reference, generated from the schema (so the docs cannot drift from the code).

    python -m comparisons.sweeps.config_reference > docs/config_reference.md

A test regenerates it and compares with the committed file.
"""

from __future__ import annotations

import typing

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .config import OutputSection, Range
from .sweep_config import CompareSection, KPModel, RunConfig, RunSection, TBModel

#: Sections in the order they appear in a config file: (TOML location, schema).
SECTIONS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("[run]", RunSection), ("[[models]] with kind = \"kp\"", KPModel), ("[[models]] with kind = \"tb\"", TBModel),
    ("[compare]", CompareSection), ("[output]", OutputSection), ("{ start, stop, step } (a range axis)", Range),
)


def _type_name(annotation: typing.Any) -> str:
    if typing.get_origin(annotation) is typing.Literal:
        return " \\| ".join(f'"{a}"' for a in typing.get_args(annotation))
    if typing.get_origin(annotation) is list and typing.get_origin(typing.get_args(annotation)[0]) is typing.Annotated:
        return "list of tables (below)"
    text = repr(annotation) if not isinstance(annotation, type) else annotation.__name__
    for old, new in (("typing.", ""), ("comparisons.sweeps.config.", ""), ("comparisons.sweeps.sweep_config.", ""),
                     ("list[int | float | str] | Range", "list | range")):
        text = text.replace(old, new)
    return text.replace("|", "\\|")


def _default(field) -> str:
    if field.default is PydanticUndefined:
        return "**required**"
    if isinstance(field.default, BaseModel):
        return "(section defaults)"
    return f"`{field.default!r}`".replace("'", '"') if field.default is not None else "unset"


def section_table(schema: type[BaseModel]) -> str:
    """Markdown table of one section: key, type, default, meaning (with constraints)."""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, field in schema.model_fields.items():
        limits = [f"{k} {getattr(m, k)}" for m in field.metadata for k in ("gt", "ge", "lt", "le", "min_length")
                  if getattr(m, k, None) is not None]
        meaning = (field.description or "") + (f" ({', '.join(limits)})" if limits else "")
        rows.append(f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} | {meaning} |")
    return "\n".join(rows)


def markdown_reference() -> str:
    """The whole reference page."""
    parts = ["# Run-config reference (`landeg run`, `landeg validate`)", "",
             "Generated from the schema (`comparisons/sweeps/sweep_config.py`) by "
             "`python -m comparisons.sweeps.config_reference`; do not edit by hand. Usage and examples: "
             "[sweeps.md](sweeps.md). Unknown keys are refused everywhere.", ""]
    assert RunConfig.model_fields  # the top level: run, models, compare, output
    parts += ["## Top level", "", section_table(RunConfig), ""]
    for title, schema in SECTIONS:
        doc = (schema.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        parts += [f"## {title}", "", " ".join(doc.split()), "", section_table(schema), ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(markdown_reference(), end="")
