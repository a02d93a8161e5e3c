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
    {%- set upper = run_query('select upper_limit_msec from ' ~ limits ~ ' where has_new_events').columns[0].values() -%}
    {%- if upper | length == 0 or upper[0] is none -%}
        {{ log('clickstream: no new events, manifest unchanged', info=true) }}
        {{ return('') }}
    {%- endif -%}
    {%- set upper_msec = upper[0] | int -%}
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
    {{ log('clickstream: manifest at ingest time ' ~ upper_msec ~ ' for ' ~ succeeded | join(', '), info=true) }}
    {{ return('') }}
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
