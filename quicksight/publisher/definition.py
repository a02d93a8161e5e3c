"""The QuickSight ``Definition`` of a dashboard spec (for the template, the analysis and the dashboard).

Visuals reference datasets by identifier: the spec's dataset name (the original's placeholders,
e.g. ``Day_User_View``). Every sheet gets date pickers and a Platform drop-down bound to the
parameters ``startDate``, ``endDate`` and ``platform``; one filter group per dataset applies them to
every visual of that dataset. Parameter filters, constant filters and top-N parameters become
filter groups scoped to their visuals.

A palette of the spec becomes each visual's colour map (one colour per platform or lifecycle stage in
every visual); a palette that renames codes becomes two calculated fields per column, the shown name
(``<column>_shown``) the visual groups by and its rank (``<column>_rank``) that orders the legend.
"""

from __future__ import annotations

from typing import Any

from clickstream.quicksight.spec.model import Dashboard, Dataset, Dimension, MeasureRef, PaletteEntry, Visual

START, END, PLATFORM = "startDate", "endDate", "platform"
_GRID_COLUMNS = 36
_EXPRESSION_FUNCTIONS = {
    "SUM": "sum",
    "AVERAGE": "avg",
    "MIN": "min",
    "MAX": "max",
    "COUNT": "count",
    "DISTINCT_COUNT": "distinct_count",
}


def _column(dataset: str, name: str) -> dict[str, str]:
    return {"DataSetIdentifier": dataset, "ColumnName": name}


def _renames(entries: list[PaletteEntry]) -> bool:
    return any(entry.label for entry in entries)


def shown_column(column: str) -> str:
    return f"{column}_shown"


def rank_column(column: str) -> str:
    return f"{column}_rank"


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ifelse(column: str, pairs: list[tuple[str, str]], otherwise: str) -> str:
    branches = ", ".join(f"{{{column}}} = {_quoted(value)}, {result}" for value, result in pairs)
    return f"ifelse({branches}, {otherwise})"


def calculated_fields(dashboard: Dashboard) -> list[dict[str, Any]]:
    """The shown name and rank of every column a renaming palette applies to, per dataset."""
    fields: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for sheet in dashboard.sheets:
        for visual in sheet.visuals:
            for item in [*visual.dimensions, *([visual.color] if visual.color else [])]:
                entries = dashboard.palettes.get(item.palette or "", [])
                if not _renames(entries) or (visual.dataset, item.column) in seen:
                    continue
                seen.add((visual.dataset, item.column))
                names = [(e.value, _quoted(e.shown)) for e in entries]
                ranks = [(e.value, str(rank)) for rank, e in enumerate(entries)]
                fields.append({"DataSetIdentifier": visual.dataset, "Name": shown_column(item.column),
                               "Expression": _ifelse(item.column, names, f"{{{item.column}}}")})  # fmt: skip
                fields.append({"DataSetIdentifier": visual.dataset, "Name": rank_column(item.column),
                               "Expression": _ifelse(item.column, ranks, str(len(entries)))})  # fmt: skip
    return fields


def dimension_field(
    field_id: str, dimension: Dimension, dataset_name: str, dataset: Dataset, renamed: bool = False
) -> dict[str, Any]:
    if renamed:  # the calculated field holding the palette's names
        column = _column(dataset_name, shown_column(dimension.column))
        return {"CategoricalDimensionField": {"FieldId": field_id, "Column": column}}
    column = _column(dataset_name, dimension.column)
    kind = dataset.columns[dimension.column]
    if kind == "DATETIME":
        return {
            "DateDimensionField": {
                "FieldId": field_id,
                "Column": column,
                "DateGranularity": dimension.granularity or "DAY",
            }
        }
    if kind in ("INTEGER", "DECIMAL"):
        return {"NumericalDimensionField": {"FieldId": field_id, "Column": column}}
    return {"CategoricalDimensionField": {"FieldId": field_id, "Column": column}}


def measure_part_field(field_id: str, part: MeasureRef, dataset_name: str, dataset: Dataset) -> dict[str, Any]:
    column = _column(dataset_name, part.column)
    kind = dataset.columns[part.column]
    if kind in ("INTEGER", "DECIMAL"):
        aggregation = {"SimpleNumericalAggregation": part.aggregation}
        return {"NumericalMeasureField": {"FieldId": field_id, "Column": column, "AggregationFunction": aggregation}}
    if kind == "DATETIME":
        return {"DateMeasureField": {"FieldId": field_id, "Column": column, "AggregationFunction": part.aggregation}}
    return {"CategoricalMeasureField": {"FieldId": field_id, "Column": column, "AggregationFunction": part.aggregation}}


def _expression(part: MeasureRef) -> str:
    return f"{_EXPRESSION_FUNCTIONS[part.aggregation]}({{{part.column}}})"


class _VisualBuilder:
    """The field wells, sort and limits of one visual."""

    def __init__(self, visual: Visual, dataset: Dataset, palettes: dict[str, list[PaletteEntry]]) -> None:
        self.visual = visual
        self.dataset = dataset
        self.palette = palettes.get(visual.palette or "", [])

        def renamed(item: Dimension) -> bool:
            return _renames(palettes.get(item.palette or "", []))

        self.dimensions = [
            dimension_field(f"{visual.id}.d{i}", d, visual.dataset, dataset, renamed(d))
            for i, d in enumerate(visual.dimensions)
        ]
        self.colors = (
            [dimension_field(f"{visual.id}.c", visual.color, visual.dataset, dataset, renamed(visual.color))]
            if visual.color
            else []
        )
        self.measures: list[dict[str, Any]] = []
        for i, measure in enumerate(visual.measures):
            field_id = f"{visual.id}.m{i}"
            if measure.ratio is not None:
                expression = f"{_expression(measure.ratio.numerator)} / {_expression(measure.ratio.denominator)}"
                self.measures.append({"CalculatedMeasureField": {"FieldId": field_id, "Expression": expression}})
            else:
                self.measures.append(measure_part_field(field_id, measure.parts[0], visual.dataset, dataset))

    def sort_field(self) -> str | None:
        """The field id the visual sorts by."""
        sort = self.visual.sort
        if sort is None:
            return None
        for i, dimension in enumerate(self.visual.dimensions):
            if dimension.column == sort.by:
                return f"{self.visual.id}.d{i}"
        for i, measure in enumerate(self.visual.measures):
            if sort.by in {part.column for part in measure.parts}:
                return f"{self.visual.id}.m{i}"
        return None

    def category_sort(self) -> list[dict[str, Any]]:
        field = self.sort_field()
        if field is None or self.visual.sort is None:
            return []
        return [{"FieldSort": {"FieldId": field, "Direction": self.visual.sort.direction}}]

    def items_limit(self) -> dict[str, Any] | None:
        if isinstance(self.visual.top_n, int):
            return {"ItemsLimit": self.visual.top_n, "OtherCategories": "EXCLUDE"}
        return None

    def palette_options(self) -> dict[str, Any]:
        """The colour of each palette value, on the field that carries it (the color field, else the category)."""
        if not self.palette:
            return {}
        field = f"{self.visual.id}.c" if self.visual.color else f"{self.visual.id}.d0"
        colors = [{"Element": {"FieldId": field, "FieldValue": e.shown}, "Color": e.color} for e in self.palette]
        return {"VisualPalette": {"ColorMap": colors}}

    def color_sort(self) -> dict[str, Any]:
        """A renaming palette's order for the legend (New, Retained, Returning, Churned), by its rank field."""
        if not _renames(self.palette) or self.visual.color is None:
            return {}
        column = _column(self.visual.dataset, rank_column(self.visual.color.column))
        return {"ColorSort": [{"ColumnSort": {"SortBy": column, "Direction": "ASC", "AggregationFunction": {
            "NumericalAggregationFunction": {"SimpleNumericalAggregation": "MIN"}}}}]}  # fmt: skip

    def _label(self, field_id: str, text: str) -> dict[str, Any]:
        return {"CustomLabel": text, "ApplyTo": {"FieldId": field_id, "Column": self._field_column(field_id)}}

    def _field_column(self, field_id: str) -> dict[str, str]:
        for field in [*self.dimensions, *self.colors]:
            [(_, body)] = field.items()
            if body["FieldId"] == field_id:
                column: dict[str, str] = body["Column"]
                return column
        raise KeyError(field_id)

    def axis_labels(self, key: str, field_id: str, text: str) -> dict[str, Any]:
        """The spec's display name on an axis or legend; a name that follows a parameter keeps QuickSight's own."""
        if "${" in text:
            return {}
        return {key: {"AxisLabelOptions": [self._label(field_id, text)]}}

    def category_labels(self, key: str = "CategoryLabelOptions", legend: bool = True) -> dict[str, Any]:
        labels = self.axis_labels(key, f"{self.visual.id}.d0", self.visual.dimensions[0].label)
        if self.visual.color is not None and legend:  # a line chart's legend names its color field itself
            labels.update(self.axis_labels("ColorLabelOptions", f"{self.visual.id}.c", self.visual.color.label))
        return labels

    def title(self) -> dict[str, Any]:
        return {"Visibility": "VISIBLE", "FormatText": {"PlainText": self.visual.title}}

    def build(self) -> dict[str, Any]:
        kind = self.visual.type
        builder = getattr(self, f"_{kind}")
        result: dict[str, Any] = builder()
        return result

    def _sorted(self, limit_key: str = "CategoryItemsLimit", colors: bool = False) -> dict[str, Any]:
        sort: dict[str, Any] = {}
        if self.category_sort():
            sort["CategorySort"] = self.category_sort()
        limit = self.items_limit()
        if limit is not None:
            sort[limit_key] = limit
        if colors:
            sort.update(self.color_sort())
        return sort

    def _kpi(self) -> dict[str, Any]:
        configuration = {"FieldWells": {"Values": self.measures}}
        return {"KPIVisual": {"VisualId": self.visual.id, "Title": self.title(), "ChartConfiguration": configuration}}

    def _bar(self) -> dict[str, Any]:
        wells = {"Category": self.dimensions, "Values": self.measures, "Colors": self.colors}
        configuration: dict[str, Any] = {
            "FieldWells": {"BarChartAggregatedFieldWells": wells},
            "SortConfiguration": self._sorted(colors=True),
            # named categories lie flat so that every name is read (as on the offline page)
            "Orientation": "HORIZONTAL" if self.visual.horizontal else "VERTICAL",
            "BarsArrangement": "STACKED" if self.colors else "CLUSTERED",
            **self.category_labels(),
            **self.palette_options(),
        }
        return {
            "BarChartVisual": {"VisualId": self.visual.id, "Title": self.title(), "ChartConfiguration": configuration}
        }

    def _line(self) -> dict[str, Any]:
        wells = {"Category": self.dimensions, "Values": self.measures, "Colors": self.colors}
        configuration = {
            "FieldWells": {"LineChartAggregatedFieldWells": wells},
            "SortConfiguration": self._sorted("CategoryItemsLimitConfiguration"),
            "Type": "LINE",
            **self.category_labels("XAxisLabelOptions", legend=False),
            **self.palette_options(),
        }
        # a ratio beside durations is read on its own (right-hand) axis
        series = [
            {"FieldSeriesItem": {"FieldId": f"{self.visual.id}.m{i}", "AxisBinding": "SECONDARY_YAXIS"}}
            for i, measure in enumerate(self.visual.measures)
            if measure.axis == "secondary"
        ]
        if series:
            configuration["Series"] = series
        return {
            "LineChartVisual": {"VisualId": self.visual.id, "Title": self.title(), "ChartConfiguration": configuration}
        }

    def _combo(self) -> dict[str, Any]:
        wells = {"Category": self.dimensions, "BarValues": self.measures, "Colors": self.colors}
        configuration = {
            "FieldWells": {"ComboChartAggregatedFieldWells": wells},
            "SortConfiguration": self._sorted(colors=True),
            "BarsArrangement": "STACKED",
            **self.category_labels(),
            **self.palette_options(),
        }
        return {
            "ComboChartVisual": {"VisualId": self.visual.id, "Title": self.title(), "ChartConfiguration": configuration}
        }

    def _pie(self) -> dict[str, Any]:
        wells = {"Category": self.dimensions[:1], "Values": self.measures}
        configuration = {
            "FieldWells": {"PieChartAggregatedFieldWells": wells},
            "SortConfiguration": self._sorted(),
            **self.axis_labels("CategoryLabelOptions", f"{self.visual.id}.d0", self.visual.dimensions[0].label),
            **self.palette_options(),
        }
        return {
            "PieChartVisual": {"VisualId": self.visual.id, "Title": self.title(), "ChartConfiguration": configuration}
        }

    def _treemap(self) -> dict[str, Any]:
        wells = {"Groups": self.dimensions[:1], "Sizes": self.measures}
        sort: dict[str, Any] = {}
        if self.category_sort():
            sort["TreeMapSort"] = self.category_sort()
        if self.items_limit() is not None:
            sort["TreeMapGroupItemsLimitConfiguration"] = self.items_limit()
        configuration = {"FieldWells": {"TreeMapAggregatedFieldWells": wells}, "SortConfiguration": sort}
        return {
            "TreeMapVisual": {"VisualId": self.visual.id, "Title": self.title(), "ChartConfiguration": configuration}
        }

    def _map(self) -> dict[str, Any]:
        wells = {"Geospatial": self.dimensions[:1], "Values": self.measures}
        configuration = {"FieldWells": {"FilledMapAggregatedFieldWells": wells}}
        return {
            "FilledMapVisual": {"VisualId": self.visual.id, "Title": self.title(), "ChartConfiguration": configuration}
        }

    def _pivot(self) -> dict[str, Any]:
        wells = {"Rows": self.dimensions, "Columns": self.colors, "Values": self.measures}
        configuration: dict[str, Any] = {"FieldWells": {"PivotTableAggregatedFieldWells": wells}}
        field = self.sort_field()
        if field is not None and self.visual.sort is not None:
            row_field = f"{self.visual.id}.d0"
            sort_by = {"Field": {"FieldId": field, "Direction": self.visual.sort.direction}}
            configuration["SortConfiguration"] = {"FieldSortOptions": [{"FieldId": row_field, "SortBy": sort_by}]}
        return {
            "PivotTableVisual": {"VisualId": self.visual.id, "Title": self.title(), "ChartConfiguration": configuration}
        }

    def _table(self) -> dict[str, Any]:
        if self.measures:
            wells: dict[str, Any] = {"TableAggregatedFieldWells": {"GroupBy": self.dimensions, "Values": self.measures}}
        else:
            values = [
                {"FieldId": f"{self.visual.id}.d{i}", "Column": _column(self.visual.dataset, d.column)}
                for i, d in enumerate(self.visual.dimensions)
            ]
            wells = {"TableUnaggregatedFieldWells": {"Values": values}}
        configuration: dict[str, Any] = {"FieldWells": wells}
        if self.category_sort():
            configuration["SortConfiguration"] = {"RowSort": self.category_sort()}
        return {"TableVisual": {"VisualId": self.visual.id, "Title": self.title(), "ChartConfiguration": configuration}}


def _parameters(dashboard: Dashboard) -> list[dict[str, Any]]:
    days = dashboard.default_days - 1  # the start stays N-1 days before UTC today
    declarations: list[dict[str, Any]] = [
        {
            "DateTimeParameterDeclaration": {
                "Name": START,
                "TimeGranularity": "DAY",
                "DefaultValues": {"RollingDate": {"Expression": f"addDateTime(-{days}, 'DD', truncDate('DD', now()))"}},
            }
        },
        {
            "DateTimeParameterDeclaration": {
                "Name": END,
                "TimeGranularity": "DAY",
                # now() is UTC while event_date is the app's local date: ending tomorrow keeps today's
                # local rows of an app east of UTC in the default range (no row is dated later).
                "DefaultValues": {"RollingDate": {"Expression": "addDateTime(1, 'DD', truncDate('DD', now()))"}},
            }
        },
        {
            "StringParameterDeclaration": {
                "Name": PLATFORM,
                "ParameterValueType": "SINGLE_VALUED",
                "ValueWhenUnset": {"ValueWhenUnsetOption": "NULL"},
            }
        },
    ]
    for name, parameter in dashboard.parameters.items():
        if parameter.type == "STRING":
            declarations.append(
                {
                    "StringParameterDeclaration": {
                        "Name": name,
                        "ParameterValueType": "SINGLE_VALUED",
                        "DefaultValues": {"StaticValues": [str(parameter.default)]},
                    }
                }
            )
        else:
            declarations.append(
                {
                    "IntegerParameterDeclaration": {
                        "Name": name,
                        "ParameterValueType": "SINGLE_VALUED",
                        "DefaultValues": {"StaticValues": [int(parameter.default)]},
                    }
                }
            )
    return declarations


def _scope(targets: dict[str, list[str]]) -> dict[str, Any]:
    """A filter scope: these visuals on these sheets."""
    return {
        "SelectedSheets": {
            "SheetVisualScopingConfigurations": [
                {"SheetId": sheet, "Scope": "SELECTED_VISUALS", "VisualIds": visuals}
                for sheet, visuals in targets.items()
            ]
        }
    }


def _group(group_id: str, filters: list[dict[str, Any]], targets: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "FilterGroupId": group_id,
        "Filters": filters,
        "ScopeConfiguration": _scope(targets),
        "Status": "ENABLED",
        "CrossDataset": "SINGLE_DATASET",
    }


def _filter_groups(dashboard: Dashboard) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    by_dataset: dict[str, dict[str, list[str]]] = {}
    for sheet in dashboard.sheets:
        for visual in sheet.visuals:
            by_dataset.setdefault(visual.dataset, {}).setdefault(sheet.id, []).append(visual.id)
    for name, targets in by_dataset.items():
        dataset = dashboard.datasets[name]
        key = name.lower()
        date_filter = {
            "TimeRangeFilter": {
                "FilterId": f"{key}-dates",
                "Column": _column(name, dataset.date_column),
                "IncludeMinimum": True,
                "IncludeMaximum": True,
                "NullOption": "NON_NULLS_ONLY",
                "TimeGranularity": "DAY",
                "RangeMinimumValue": {"Parameter": START},
                "RangeMaximumValue": {"Parameter": END},
            }
        }
        platform_filter = {
            "CategoryFilter": {
                "FilterId": f"{key}-platform",
                "Column": _column(name, dataset.platform_column),
                "Configuration": {
                    "CustomFilterConfiguration": {
                        "MatchOperator": "EQUALS",
                        "ParameterName": PLATFORM,
                        "SelectAllOptions": "FILTER_ALL_VALUES",
                        "NullOption": "ALL_VALUES",
                    }
                },
            }
        }
        groups.append(_group(f"{key}-dates", [date_filter], targets))
        groups.append(_group(f"{key}-platform", [platform_filter], targets))
    for sheet in dashboard.sheets:
        for visual in sheet.visuals:
            filters = [_visual_filter(visual, i) for i in range(len(visual.filters))]
            if isinstance(visual.top_n, str):
                filters.append(_top_filter(visual, dashboard.datasets[visual.dataset]))
            for number, condition in enumerate(filters):
                groups.append(_group(f"{visual.id}-f{number}", [condition], {sheet.id: [visual.id]}))
    return groups


def _visual_filter(visual: Visual, index: int) -> dict[str, Any]:
    condition = visual.filters[index]
    filter_id = f"{visual.id}-f{index}"
    column = _column(visual.dataset, condition.column)
    if condition.parameter is not None:
        configuration = {
            "MatchOperator": "EQUALS",
            "ParameterName": condition.parameter,
            "NullOption": "NON_NULLS_ONLY",
        }
        return {
            "CategoryFilter": {
                "FilterId": filter_id,
                "Column": column,
                "Configuration": {"CustomFilterConfiguration": configuration},
            }
        }
    if isinstance(condition.equals, int):
        return {
            "NumericEqualityFilter": {
                "FilterId": filter_id,
                "Column": column,
                "Value": float(condition.equals),
                "MatchOperator": "EQUALS",
                "NullOption": "NON_NULLS_ONLY",
            }
        }
    if condition.equals is not None:
        configuration = {"MatchOperator": "EQUALS", "CategoryValue": condition.equals, "NullOption": "NON_NULLS_ONLY"}
    else:
        configuration = {"MatchOperator": "DOES_NOT_EQUAL", "CategoryValue": "", "NullOption": "NON_NULLS_ONLY"}
    return {
        "CategoryFilter": {
            "FilterId": filter_id,
            "Column": column,
            "Configuration": {"CustomFilterConfiguration": configuration},
        }
    }


def _top_filter(visual: Visual, dataset: Dataset) -> dict[str, Any]:
    """Top N categories of the first dimension by the sort measure, N from an Integer parameter."""
    assert isinstance(visual.top_n, str)
    measure = next(
        (m for m in visual.measures if visual.sort and visual.sort.by in {p.column for p in m.parts}),
        visual.measures[0],
    )
    part = measure.parts[0]
    aggregation: dict[str, Any]
    if dataset.columns[part.column] in ("INTEGER", "DECIMAL"):
        aggregation = {"NumericalAggregationFunction": {"SimpleNumericalAggregation": part.aggregation}}
    else:
        aggregation = {"CategoricalAggregationFunction": part.aggregation}
    return {
        "TopBottomFilter": {
            "FilterId": f"{visual.id}-top",
            "Column": _column(visual.dataset, visual.dimensions[0].column),
            "ParameterName": visual.top_n,
            "AggregationSortConfigurations": [
                {
                    "Column": _column(visual.dataset, part.column),
                    "SortDirection": "DESC",
                    "AggregationFunction": aggregation,
                }
            ],
        }
    }


def _controls(dashboard: Dashboard, sheet_id: str, controls: list[str], platform_source: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = [
        {
            "DateTimePicker": {
                "ParameterControlId": f"{sheet_id}-start",
                "Title": "Start date",
                "SourceParameterName": START,
            }
        },
        {"DateTimePicker": {"ParameterControlId": f"{sheet_id}-end", "Title": "End date", "SourceParameterName": END}},
        {
            "Dropdown": {
                "ParameterControlId": f"{sheet_id}-platform",
                "Title": "Platform",
                "SourceParameterName": PLATFORM,
                "Type": "SINGLE_SELECT",
                "SelectableValues": {"LinkToDataSetColumn": _column(platform_source, "platform")},
            }
        },
    ]
    for name in controls:
        parameter = dashboard.parameters[name]
        if parameter.type == "STRING":
            result.append(
                {
                    "Dropdown": {
                        "ParameterControlId": f"{sheet_id}-{name}",
                        "Title": parameter.label,
                        "SourceParameterName": name,
                        "Type": "SINGLE_SELECT",
                        "SelectableValues": {"Values": parameter.values},
                    }
                }
            )
        else:
            result.append(
                {
                    "TextField": {
                        "ParameterControlId": f"{sheet_id}-{name}",
                        "Title": parameter.label,
                        "SourceParameterName": name,
                    }
                }
            )
    return result


def _layout(visuals: list[Visual]) -> list[dict[str, Any]]:
    elements = []
    for visual in visuals:
        wide = visual.type in ("table", "pivot")
        elements.append(
            {
                "ElementId": visual.id,
                "ElementType": "VISUAL",
                "ColumnSpan": _GRID_COLUMNS if wide else _GRID_COLUMNS // 2,
                "RowSpan": 5 if visual.type == "kpi" else 12,
            }
        )
    return [{"Configuration": {"GridLayout": {"Elements": elements}}}]


def sheets_and_filters(dashboard: Dashboard) -> dict[str, Any]:
    """The parts shared by the template, analysis and dashboard definitions."""
    platform_source = next(iter(dashboard.used_datasets))
    sheets = []
    for sheet in dashboard.sheets:
        sheets.append(
            {
                "SheetId": sheet.id,
                "Name": sheet.title,
                "Title": sheet.title,
                "ContentType": "INTERACTIVE",
                "ParameterControls": _controls(dashboard, sheet.id, sheet.controls, platform_source),
                "Visuals": [
                    _VisualBuilder(v, dashboard.datasets[v.dataset], dashboard.palettes).build() for v in sheet.visuals
                ],
                "Layouts": _layout(sheet.visuals),
            }
        )
    return {
        "Sheets": sheets,
        "CalculatedFields": calculated_fields(dashboard),
        "ParameterDeclarations": _parameters(dashboard),
        "FilterGroups": _filter_groups(dashboard),
        # Weeks start on Monday, as the models' weeks (time_period) and DuckDB's date_trunc('week') do;
        # with QuickSight's default (Sunday) every weekly bar would be labelled with the day before.
        "Options": {"WeekStart": "MONDAY"},
    }


def template_definition(dashboard: Dashboard) -> dict[str, Any]:
    """The template's definition: datasets as placeholders with their column schemas."""
    configurations = []
    for name, dataset in dashboard.used_datasets.items():
        columns = []
        for column, kind in dataset.columns.items():
            entry = {"Name": column, "DataType": kind}
            if column in dataset.geo_roles:
                entry["GeographicRole"] = dataset.geo_roles[column]
            columns.append(entry)
        configurations.append({"Placeholder": name, "DataSetSchema": {"ColumnSchemaList": columns}})
    return {"DataSetConfigurations": configurations, **sheets_and_filters(dashboard)}


def analysis_definition(dashboard: Dashboard, dataset_arns: dict[str, str]) -> dict[str, Any]:
    """The definition of an analysis or dashboard: the spec's datasets bound to the app's dataset ARNs."""
    declarations = [{"Identifier": name, "DataSetArn": dataset_arns[name]} for name in dashboard.used_datasets]
    return {"DataSetIdentifierDeclarations": declarations, **sheets_and_filters(dashboard)}
