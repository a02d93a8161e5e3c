{#- Metadata scan helpers. Which columns are scanned, and their categories, come from the `meta:`
    of the source columns (generated from clickstream/contract.py, the original's `-- METADATA`
    comments), so one definition drives the scan, the docs and `clickstream metadata export`. -#}

{#- [(column, category, value_type)] of a source table's columns marked scan_values: true. Empty while
    dbt parses (the graph is only complete when executing). -#}
{% macro clickstream_scanned_columns(table_name) %}
    {%- set scanned = [] -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() -%}
            {%- if node.source_name == 'clickstream' and node.name == table_name -%}
                {%- for column in node.columns.values() -%}
                    {%- set meta = column.meta or column.config.meta or {} -%}
                    {%- if meta.get('scan_values') -%}
                        {%- do scanned.append((column.name, meta.get('category'), clickstream_value_type(meta.get('redshift_type', '')))) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(scanned) }}
{% endmacro %}

{#- The original's value types: number, boolean or string, from the Redshift type. -#}
{% macro clickstream_value_type(redshift_type) %}
    {%- set kind = redshift_type | lower -%}
    {%- if kind in ('bigint', 'int', 'integer', 'double precision', 'float') -%}
        {{ return('number') }}
    {%- elif kind in ('bool', 'boolean') -%}
        {{ return('boolean') }}
    {%- endif -%}
    {{ return('string') }}
{% endmacro %}

{#- `#YYYYMM` of a date, the original's month key. -#}
{% macro clickstream_month_key(date_column) %}
    {{ dbt.concat([
        "'#'",
        "cast(extract(year from " ~ date_column ~ ") * 100 + extract(month from " ~ date_column ~ ") as "
        ~ dbt.type_string() ~ ")",
    ]) }}
{% endmacro %}

{#- One row per entry of a map column (custom_parameters, user_properties): the given columns of
    the rows of `relation` matching `where`, plus entry_name, entry_value and entry_type. Maps are Parquet maps on DuckDB and
    Athena, SUPER objects on Redshift. -#}
{% macro clickstream_map_entries(relation, columns, map_column, where='1 = 1') %}
    {{ return(adapter.dispatch('clickstream_map_entries', 'clickstream')(relation, columns, map_column, where)) }}
{% endmacro %}

{% macro default__clickstream_map_entries(relation, columns, map_column, where) %}
    select
        {%- for column in columns %}
            source_rows.{{ column }},
        {%- endfor %}
        entry_name,
        cast(entry.value as varchar(65535)) as entry_value,
        cast(entry.type as varchar(32)) as entry_type
    from {{ relation }} as source_rows, unpivot source_rows.{{ map_column }} as entry at entry_name
    where {{ where }}
{% endmacro %}

{% macro duckdb__clickstream_map_entries(relation, columns, map_column, where) %}
    select
        {%- for column in columns %}
            {{ column }},
        {%- endfor %}
        entry.key as entry_name,
        entry.value.value as entry_value,
        entry.value.type as entry_type
    from (
        select
            {%- for column in columns %}
                {{ column }},
            {%- endfor %}
            unnest(map_entries({{ map_column }})) as entry
        from {{ relation }}
        where {{ where }}
    ) as exploded
{% endmacro %}

{% macro athena__clickstream_map_entries(relation, columns, map_column, where) %}
    select
        {%- for column in columns %}
            source_rows.{{ column }},
        {%- endfor %}
        entries.entry_name,
        entries.entry.value as entry_value,
        entries.entry.type as entry_type
    from {{ relation }} as source_rows
    cross join unnest(source_rows.{{ map_column }}) as entries (entry_name, entry)
    where {{ where }}
{% endmacro %}
