"""The dashboard spec's model: datasets, parameters, sheets and visuals, and the rules they obey.

One spec drives both the QuickSight definition (``clickstream.quicksight.publisher``) and the offline HTML
(``clickstream.quicksight.offline``), so the two cannot drift. ``clickstream.quicksight.spec.load`` reads the YAML files
(``specs/``, package data) into these models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Every dataset is a dbt model in the marts' schema: QuickSight's custom SQL and the offline
# extracts both read it from there.
MART_SCHEMA = "analytics"

ColumnType = Literal["STRING", "INTEGER", "DECIMAL", "DATETIME"]
Aggregation = Literal["SUM", "AVERAGE", "MIN", "MAX", "COUNT", "DISTINCT_COUNT"]
Granularity = Literal["WEEK", "DAY", "HOUR", "SECOND"]
ChartType = Literal["kpi", "bar", "line", "combo", "pie", "treemap", "table", "pivot", "map"]
GeoRole = Literal["COUNTRY", "STATE", "COUNTY", "CITY", "POSTCODE", "LONGITUDE", "LATITUDE"]

_ID = r"^[a-z][a-z0-9_]{0,63}$"
_PARAMETER_REFERENCE = re.compile(r"\$\{(\w+)\}")
# Visuals that draw a category axis or slices need a dimension; a KPI must have none.
_RESERVED_PARAMETERS = {"startDate", "endDate", "platform"}  # the filters every sheet has
_NUMERIC_AGGREGATIONS = {"SUM", "AVERAGE"}
_NEEDS_DIMENSION = {"bar", "line", "combo", "pie", "treemap", "table", "pivot", "map"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dataset(_Strict):
    """A dbt model as a dataset: the columns the visuals read, with their QuickSight types."""

    model: str = Field(pattern=r"^(rpt|fct|dim)_[a-z0-9_]+$", description="The dbt model (a report or mart).")
    date_column: str = Field(description="The column the date-range filter applies to.")
    platform_column: str = "platform"
    app_column: str = "app_id"
    columns: dict[str, ColumnType] = Field(min_length=1)
    geo_roles: dict[str, GeoRole] = Field(default_factory=dict, description="Geographic roles for maps.")

    @model_validator(mode="after")
    def _filter_columns_listed(self) -> Dataset:
        for key in ("date_column", "platform_column", "app_column"):
            if getattr(self, key) not in self.columns:
                raise ValueError(f"{key} {getattr(self, key)!r} is not one of the listed columns")
        if self.columns[self.date_column] != "DATETIME":
            raise ValueError(f"date_column {self.date_column!r} must be a DATETIME column")
        unknown = sorted(set(self.geo_roles) - set(self.columns))
        if unknown:
            raise ValueError(f"geo_roles name columns that are not listed: {', '.join(unknown)}")
        return self


class Parameter(_Strict):
    """A dashboard parameter: a choice list (STRING) or a number such as a top-N (INTEGER)."""

    type: Literal["STRING", "INTEGER"]
    label: str = Field(min_length=1)
    default: str | int
    values: list[str] = Field(default_factory=list, description="The choices of a STRING parameter.")

    @model_validator(mode="after")
    def _default_fits(self) -> Parameter:
        if self.type == "STRING":
            if not self.values:
                raise ValueError("a STRING parameter needs its choices under values")
            if self.default not in self.values:
                raise ValueError(f"default {self.default!r} is not one of values")
        elif not isinstance(self.default, int) or self.default < 1:
            raise ValueError("an INTEGER parameter needs a whole default of at least 1")
        return self


class PaletteEntry(_Strict):
    """One value of a palette: its colour and, for a code such as ``1-NEW``, the name a viewer reads."""

    value: str
    label: str | None = Field(None, min_length=1)
    color: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")

    @property
    def shown(self) -> str:
        return self.label or self.value


class Dimension(_Strict):
    """A column the visual groups by; dates and times at a granularity; a palette for fixed colours and names."""

    column: str
    label: str = Field(min_length=1)
    granularity: Granularity | None = None
    palette: str | None = Field(None, description="A palette under the dashboard's palettes: colour, name and order.")


class MeasureRef(_Strict):
    """An aggregated column."""

    column: str
    aggregation: Aggregation


class Ratio(_Strict):
    numerator: MeasureRef
    denominator: MeasureRef


class Measure(_Strict):
    """An aggregated column, or the ratio of two (a rate: crash rate, retention, engagement)."""

    label: str = Field(min_length=1)
    column: str | None = None
    aggregation: Aggregation | None = None
    ratio: Ratio | None = None
    format: Literal["number", "percent"] = "number"
    axis: Literal["primary", "secondary"] = Field(
        "primary", description="A line chart's y axis: a ratio beside durations goes on the secondary one."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Measure:
        if self.ratio is None and (self.column is None or self.aggregation is None):
            raise ValueError("a measure needs column and aggregation, or a ratio of two")
        if self.ratio is not None and (self.column is not None or self.aggregation is not None):
            raise ValueError("a ratio measure takes no column or aggregation of its own")
        return self

    @property
    def parts(self) -> list[MeasureRef]:
        """The aggregated columns this measure is computed from."""
        if self.ratio is not None:
            return [self.ratio.numerator, self.ratio.denominator]
        assert self.column is not None and self.aggregation is not None
        return [MeasureRef(column=self.column, aggregation=self.aggregation)]


class VisualFilter(_Strict):
    """Keeps the rows whose column equals a parameter's value or a constant, or is not null."""

    column: str
    parameter: str | None = None
    equals: str | int | None = None
    not_null: bool = False

    @model_validator(mode="after")
    def _one_condition(self) -> VisualFilter:
        given = sum([self.parameter is not None, self.equals is not None, self.not_null])
        if given != 1:
            raise ValueError("give exactly one of parameter, equals or not_null: true")
        return self


class Sort(_Strict):
    by: str
    direction: Literal["ASC", "DESC"] = "DESC"


class Visual(_Strict):
    """One chart, KPI or table of a sheet."""

    id: str = Field(pattern=_ID)
    title: str = Field(min_length=1)
    type: ChartType
    dataset: str
    dimensions: list[Dimension] = Field(default_factory=list)
    color: Dimension | None = None
    measures: list[Measure] = Field(default_factory=list)
    filters: list[VisualFilter] = Field(default_factory=list)
    sort: Sort | None = None
    top_n: int | str | None = Field(None, description="Rows kept: a number or the name of an INTEGER parameter.")

    @model_validator(mode="after")
    def _shape_fits_type(self) -> Visual:
        if self.type in _NEEDS_DIMENSION and not self.dimensions:
            raise ValueError(f"a {self.type} visual needs at least one dimension")
        if self.type == "kpi" and (self.dimensions or self.color):
            raise ValueError("a kpi visual shows one number: remove dimensions and color")
        if self.type != "table" and not self.measures:
            raise ValueError(f"a {self.type} visual needs at least one measure")
        if self.type in ("pie", "treemap", "map", "combo") and len(self.measures) != 1:
            raise ValueError(f"a {self.type} visual takes exactly one measure")
        if self.color is not None and self.type not in ("bar", "line", "combo", "pivot"):
            raise ValueError("color (a series, or a pivot column, per value) works with bar, line, combo and pivot")
        if isinstance(self.top_n, int) and self.top_n < 1:
            raise ValueError("top_n must be at least 1")
        if self.type == "kpi" and self.top_n is not None:
            raise ValueError("a kpi visual shows one number: remove top_n")
        secondary = [m for m in self.measures if m.axis == "secondary"]
        if secondary and self.type != "line":
            raise ValueError("axis: secondary works with line visuals only")
        if secondary and len(secondary) == len(self.measures):
            raise ValueError("a secondary axis needs a measure on the primary one too")
        if self.color is not None and any(d.palette for d in self.dimensions):
            raise ValueError("a dimension's palette colours a visual without color: move it to color")
        if self.sort is not None and self.sort.by not in self.sortable:
            raise ValueError(
                f"sort.by {self.sort.by!r} is not a field of this visual; use one of {', '.join(sorted(self.sortable))}"
            )
        return self

    @property
    def horizontal(self) -> bool:
        """Bars of named categories lie flat, so that every name is read in full (dates stay upright)."""
        return self.type == "bar" and self.dimensions[0].granularity is None

    @property
    def palette(self) -> str | None:
        """The palette that colours this visual: its color field's, else (a pie, bars) its first dimension's."""
        if self.color is not None:
            return self.color.palette
        return self.dimensions[0].palette if self.dimensions else None

    @property
    def sortable(self) -> set[str]:
        """The columns a visual can sort by: its dimensions, color and measured columns."""
        names = {d.column for d in self.dimensions} | {part.column for m in self.measures for part in m.parts}
        if self.color is not None:
            names.add(self.color.column)
        return names

    @property
    def columns(self) -> set[str]:
        """Every dataset column the visual reads."""
        names = {d.column for d in self.dimensions} | {f.column for f in self.filters}
        names |= {part.column for measure in self.measures for part in measure.parts}
        if self.color is not None:
            names.add(self.color.column)
        if self.sort is not None:
            names.add(self.sort.by)
        return names

    @property
    def parameters(self) -> set[str]:
        """The parameters the visual's title, labels, filters and top-N refer to."""
        texts = [self.title, *(d.label for d in self.dimensions), *(m.label for m in self.measures)]
        if self.color is not None:
            texts.append(self.color.label)
        names = {name for text in texts for name in _PARAMETER_REFERENCE.findall(text)}
        names |= {f.parameter for f in self.filters if f.parameter is not None}
        if isinstance(self.top_n, str):
            names.add(self.top_n)
        return names


class Sheet(_Strict):
    id: str = Field(pattern=_ID)
    title: str = Field(min_length=1)
    controls: list[str] = Field(default_factory=list, description="Parameters with a control on this sheet.")
    visuals: list[Visual] = Field(min_length=1)


class Dashboard(_Strict):
    """A dashboard (rendered and published once per app) and the datasets it reads."""

    id: str = Field(pattern=_ID)
    title: str = Field(min_length=1)
    default_days: int = Field(30, ge=1, description="The date range a viewer sees first: the last N days.")
    parameters: dict[str, Parameter] = Field(default_factory=dict, description="By name: letters and digits only.")
    palettes: dict[str, list[PaletteEntry]] = Field(
        default_factory=dict, description="Fixed colours (and names, in this order) of a column's values."
    )
    sheets: list[Sheet] = Field(min_length=1)
    datasets: dict[str, Dataset] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references_resolve(self) -> Dashboard:
        problems: list[str] = []
        for name in self.parameters:
            if not re.fullmatch(r"[a-zA-Z0-9]+", name) or name in _RESERVED_PARAMETERS:
                problems.append(f"parameter {name!r}: use letters and digits only, not startDate, endDate or platform")
        for name, entries in self.palettes.items():
            values = [entry.value for entry in entries]
            if len(set(values)) != len(values):
                problems.append(f"palette {name!r}: a value is listed twice")
        visual_ids: set[str] = set()
        for sheet in self.sheets:
            for control in sheet.controls:
                if control not in self.parameters:
                    problems.append(f"sheet {sheet.id}: control {control!r} is not a parameter")
            for visual in sheet.visuals:
                where = f"sheet {sheet.id}, visual {visual.id}"
                if visual.id in visual_ids:
                    problems.append(f"{where}: visual id used twice")
                visual_ids.add(visual.id)
                dataset = self.datasets.get(visual.dataset)
                if dataset is None:
                    problems.append(f"{where}: dataset {visual.dataset!r} is not defined in datasets")
                    continue
                missing = sorted(visual.columns - set(dataset.columns))
                if missing:
                    problems.append(f"{where}: dataset {visual.dataset} has no column(s) {', '.join(missing)}")
                    continue
                for item in [*visual.dimensions, *([visual.color] if visual.color else [])]:
                    if item.palette is not None and item.palette not in self.palettes:
                        problems.append(f"{where}: palette {item.palette!r} is not defined under palettes")
                    if item.granularity is not None and dataset.columns[item.column] != "DATETIME":
                        problems.append(
                            f"{where}: granularity needs a DATETIME column; {item.column} is "
                            f"{dataset.columns[item.column]} (remove granularity)"
                        )
                if visual.type == "map" and visual.dimensions[0].column not in dataset.geo_roles:
                    problems.append(
                        f"{where}: a map's first dimension needs a geographic role; give {visual.dimensions[0].column} "
                        f"one under datasets.{visual.dataset}.geo_roles (e.g. COUNTRY)"
                    )
                for measure in visual.measures:
                    for part in measure.parts:
                        kind = dataset.columns[part.column]
                        if part.aggregation in _NUMERIC_AGGREGATIONS and kind not in ("INTEGER", "DECIMAL"):
                            problems.append(
                                f"{where}: {part.aggregation} needs a number; {part.column} is {kind} "
                                "(use COUNT or DISTINCT_COUNT)"
                            )
                for name in sorted(visual.parameters):
                    parameter = self.parameters.get(name)
                    if parameter is None:
                        problems.append(f"{where}: parameter {name!r} is not defined under parameters")
                    elif name == visual.top_n and parameter.type != "INTEGER":
                        problems.append(f"{where}: top_n parameter {name!r} must be INTEGER")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def used_datasets(self) -> dict[str, Dataset]:
        """The datasets some visual reads, in the order of first use."""
        names = dict.fromkeys(visual.dataset for sheet in self.sheets for visual in sheet.visuals)
        return {name: self.datasets[name] for name in names}

    def resolve(self, text: str, values: Mapping[str, str | int] | None = None) -> str:
        """``text`` with each ``${parameter}`` replaced by its value (default: the parameter's default)."""
        chosen = values or {}
        return _PARAMETER_REFERENCE.sub(
            lambda m: str(chosen.get(m.group(1), self.parameters[m.group(1)].default)), text
        )
