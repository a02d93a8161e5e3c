{#- on-run-end: record, for each incremental model that succeeded in this run, the ingest time it
    has processed up to (the run's upper limit). A model that failed keeps its old value, so the
    next run starts from the earliest model and catches it up; values never move backwards. -#}
{% macro clickstream_update_manifest(results) %}
    {%- if not execute or flags.WHICH not in ('run', 'build') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set succeeded = [] -%}
    {%- for result in results -%}
        {%- if result.node.resource_type == 'model' and 'clickstream_incremental' in result.node.tags
            and result.status == 'success' -%}
            {%- do succeeded.append(result.node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if succeeded | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set manifest = clickstream_model_relation('int_incremental_manifest') -%}
    {%- set limits = clickstream_model_relation('int_run_limits') -%}
    {%- set window = run_query(
        'select upper_limit_msec, newest_ingest_msec from ' ~ limits ~ ' where has_new_events'
    ) -%}
    {%- if window.rows | length == 0 or window.rows[0][0] is none -%}
        {{ log('clickstream: no new events, manifest unchanged', info=true) }}
        {{ return('') }}
    {%- endif -%}
    {%- set upper_msec = window.rows[0][0] | int -%}
    {%- set newest_msec = window.rows[0][1] | int -%}
    {%- set names = [] -%}
    {%- for name in succeeded -%}{%- do names.append("'" ~ name ~ "'") -%}{%- endfor -%}
    {%- call statement('clickstream_manifest_delete', auto_begin=true) -%}
        delete from {{ manifest }}
        where model_name in ({{ names | join(', ') }}) and last_success_msec <= {{ upper_msec }}
    {%- endcall -%}
    {%- call statement('clickstream_manifest_insert') -%}
        insert into {{ manifest }} (model_name, last_success_msec)
        {% for name in succeeded -%}
            select '{{ name }}', {{ upper_msec }}
            where not exists (select 1 from {{ manifest }} where model_name = '{{ name }}')
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    {%- endcall -%}
    {%- do adapter.commit() -%}
    {%- set upper_time = modules.datetime.datetime.fromtimestamp(
        (upper_msec | int) / 1000, modules.pytz.utc
    ).strftime('%Y-%m-%d %H:%M:%S UTC') -%}
    {{ log('clickstream: ' ~ succeeded | length ~ ' incremental models hold the events ingested up to '
        ~ upper_time ~ ': ' ~ succeeded | join(', '), info=true) }}
    {%- do clickstream_warn_backlog(upper_msec, newest_msec) -%}
    {{ return('') }}
{% endmacro %}

{#- A run that stopped at clickstream__backfill_limit_days before the newest loaded event says so, and
    how many more runs reach it: the tables are not yet complete. -#}
{% macro clickstream_warn_backlog(upper_msec, newest_msec) %}
    {%- if newest_msec <= upper_msec -%}
        {{ return('') }}
    {%- endif -%}
    {%- set limit_msec = clickstream_days_msec('clickstream__backfill_limit_days') | int -%}
    {%- set runs = ((newest_msec - upper_msec) / limit_msec) | round(0, 'ceil') | int -%}
    {%- set days = ((newest_msec - upper_msec) / 86400000) | round(1) -%}
    {%- do exceptions.warn(
        'clickstream: ' ~ days ~ ' days of loaded events are not modelled yet (clickstream__backfill_limit_days is '
        ~ var('clickstream__backfill_limit_days') ~ '); ' ~ runs ~ ' more run(s) catch up, or run with --full-refresh'
    ) -%}
{% endmacro %}

{#- The relation of one of this project's models, from the graph (hooks cannot call ref()). -#}
{% macro clickstream_model_relation(name) %}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.name == name and node.package_name == project_name -%}
            {{ return(api.Relation.create(
                database=node.database, schema=node.schema, identifier=node.alias or node.name
            )) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error('no model named ' ~ name) }}
{% endmacro %}
