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

{#- The original stamps each scanned row with the UTC day of its timestamp, whatever the app's time zone. -#}
{% macro clickstream_utc_date(timestamp_column) %}
    {{ return(adapter.dispatch('clickstream_date_in_timezone', 'clickstream')(timestamp_column, 'UTC')) }}
{% endmacro %}

{#- A where-clause keeping the days an incremental run of a meta_* model rescans: from `days_before`
    days before the earliest local day of the run's events on (everything on a full build). The meta_*
    models count UTC days, and a UTC day differs from the app's local day by at most one, so the UTC
    days from one day before that local day are rebuilt whole from the local days from two days before. -#}
{% macro clickstream_metadata_days(date_column, days_before) %}
    {%- set this_run = ref('int_events_this_run') -%}
    {%- if clickstream_is_incremental() -%}
        {{ date_column }} >= {{ dbt.dateadd('day', -days_before, '(select min(event_date) from ' ~ this_run ~ ')') }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{% endmacro %}

{#- Config of the incremental meta_* models: the reports' (append after deleting the rescanned days),
    deleting the UTC days from one day before the run's earliest local day. -#}
{% macro clickstream_metadata_config() %}
    {%- set settings = clickstream_report_config() -%}
    {%- do settings.update({'pre_hook': ["{{ clickstream_metadata_delete_days() }}"]}) -%}
    {{ return(settings) }}
{% endmacro %}

{% macro clickstream_metadata_delete_days() %}
    {%- if clickstream_is_incremental() -%}
        delete from {{ this }} where {{ clickstream_metadata_days('event_date', 1) }}
    {%- endif -%}
{% endmacro %}

{#- A scanned value as the original writes it: booleans as 'true'/'false', anything else as text cut to
    its first 100 characters. -#}
{% macro clickstream_metadata_value(column, value_type) %}
    {%- if value_type == 'boolean' -%}
        case when {{ column }} then 'true' else 'false' end
    {%- else -%}
        substring(cast({{ column }} as {{ dbt.type_string() }}), 1, 100)
    {%- endif -%}
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
