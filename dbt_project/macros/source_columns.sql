{#- Column names of a source table as declared in models/sources/__sources.yml.

    The yml is the one list of columns in this project (a test keeps it equal to the Python
    contract), so models select explicit columns without introspecting the warehouse. -#}
{% macro clickstream_source_columns(table_name) %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == 'clickstream' and node.name == table_name -%}
            {{ return(node.columns.keys() | list) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no source clickstream." ~ table_name) }}
{% endmacro %}
