{#- Physical config of the session-keyed incremental models, per engine. Models call
    `config(**clickstream_incremental_config(...))` and stay engine-agnostic:
    DuckDB deletes the keys of the new rows then inserts them; Redshift merges, with sort and dist
    keys and a bounded target scan; Athena merges into Iceberg tables partitioned by date with the
    same bound. -#}
{% macro clickstream_incremental_config(unique_key, date_column=none, sort=none, dist=none) %}
    {{ return(adapter.dispatch('clickstream_incremental_config', 'clickstream')(unique_key, date_column, sort, dist)) }}
{% endmacro %}

{% macro default__clickstream_incremental_config(unique_key, date_column, sort, dist) %}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': unique_key,
        'on_schema_change': 'append_new_columns',
        'tags': ['clickstream_incremental'],
    }) }}
{% endmacro %}

{% macro redshift__clickstream_incremental_config(unique_key, date_column, sort, dist) %}
    {%- set settings = {
        'materialized': 'incremental',
        'incremental_strategy': 'merge',
        'unique_key': unique_key,
        'on_schema_change': 'append_new_columns',
        'tags': ['clickstream_incremental'],
        'sort': sort or ([date_column] if date_column else none),
        'dist': dist or 'even',
    } -%}
    {%- if date_column -%}
        {%- do settings.update({'incremental_predicates': [clickstream_upsert_predicate(date_column)]}) -%}
    {%- endif -%}
    {{ return(settings) }}
{% endmacro %}

{% macro athena__clickstream_incremental_config(unique_key, date_column, sort, dist) %}
    {%- set settings = {
        'materialized': 'incremental',
        'table_type': 'iceberg',
        'incremental_strategy': 'merge',
        'unique_key': unique_key,
        'on_schema_change': 'append_new_columns',
        'tags': ['clickstream_incremental'],
    } -%}
    {%- if date_column -%}
        {%- do settings.update({
            'partitioned_by': [date_column],
            'incremental_predicates': [clickstream_upsert_predicate(date_column)],
        }) -%}
    {%- endif -%}
    {{ return(settings) }}
{% endmacro %}

{#- Target rows an upsert may replace: those dated within clickstream__upsert_lookback_days, so a
    merge never scans the whole table (sessions older than that are not extended). -#}
{% macro clickstream_upsert_predicate(date_column) %}
    {{ return(
        'DBT_INTERNAL_DEST.' ~ date_column ~ ' >= '
        ~ dbt.dateadd('day', -1 * var('clickstream__upsert_lookback_days'), 'current_date')
    ) }}
{% endmacro %}
