{#- on-run-start: stop at once, with one message, when the warehouse dbt opened holds no loaded events.
    That is a wrong warehouse (a mistyped CLICKSTREAM_WAREHOUSE_PATH makes DuckDB create an empty file)
    or one not loaded yet; without this check every source test and model would fail on its own. -#}
{% macro clickstream_require_sources() %}
    {%- if not execute or flags.WHICH not in ('run', 'build', 'test') -%}
        {{ return('') }}
    {%- endif -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == 'clickstream' and node.name == 'event_v2' -%}
            {%- set found = adapter.get_relation(node.database, node.schema, node.identifier) -%}
            {%- if found is none -%}
                {%- set where = ' (DuckDB file ' ~ target.path ~ ')' if target.type == 'duckdb' else '' -%}
                {{ exceptions.raise_compiler_error(
                    'no loaded table ' ~ node.schema ~ '.' ~ node.identifier ~ ' in the ' ~ target.type
                    ~ ' warehouse' ~ where ~ ': run `clickstream load` first, or point dbt at the warehouse it'
                    ~ ' fills with eval "$(clickstream dbt-env)"'
                ) }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}
