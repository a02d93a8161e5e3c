{#- Run-window helpers shared by the engine models. Bounds are epoch milliseconds of ingest time,
    compared as integers so every engine treats them alike. -#}

{#- Ingest time of an event row: when the collector received it (event time when unknown). -#}
{% macro clickstream_ingest_msec(relation_alias=none) %}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    coalesce({{ prefix }}ingest_time_msec, {{ prefix }}event_time_msec)
{%- endmacro %}

{#- True for events the engine accepts: not received too long after they happened
    (clickstream__days_late_allowed) and not dated too far after they were received. -#}
{% macro clickstream_event_in_time(relation_alias=none) %}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {%- set late_days = clickstream_optional_var('clickstream__days_late_allowed') -%}
    {{ prefix }}event_time_msec <= {{ prefix }}ingest_msec
    + {{ var('clickstream__future_tolerance_hours') | int * 3600000 }}
    {%- if late_days is not none %}
        and {{ prefix }}ingest_msec - {{ prefix }}event_time_msec <= {{ (late_days | float * 86400000) | int }}
    {%- endif -%}
{%- endmacro %}

{% macro clickstream_days_msec(var_name) -%}
    {{ (var(var_name) | float * 86400000) | int }}
{%- endmacro %}

{#- Epoch milliseconds of clickstream__start_date (a YYYY-MM-DD date, UTC). -#}
{% macro clickstream_start_msec() -%}
    {%- set start = modules.datetime.datetime.strptime(var('clickstream__start_date') | string, '%Y-%m-%d') -%}
    {%- set epoch = modules.datetime.datetime(1970, 1, 1) -%}
    {{ ((start - epoch).total_seconds() * 1000) | int }}
{%- endmacro %}

{#- The incremental models of this invocation: enabled models tagged clickstream_incremental,
    narrowed to the selection when dbt was given one. The manifest tracks each of them. -#}
{% macro clickstream_incremental_models() %}
    {%- if var('clickstream__incremental_models', none) is not none -%}
        {{ return(var('clickstream__incremental_models') | list) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model' and 'clickstream_incremental' in node.tags
                and node.package_name == project_name
                and (selected_resources | length == 0 or node.unique_id in selected_resources) -%}
                {%- do names.append(node.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(names | sort) }}
{% endmacro %}
