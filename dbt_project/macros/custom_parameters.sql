{#- Custom parameters (`custom_parameters`, name -> {value, type}) read as typed columns. The map is a
    Parquet map on DuckDB and Athena and a SUPER object on Redshift; only the lookup differs. -#}

{#- The text value of custom parameter `name` (null when the event does not carry it). -#}
{% macro clickstream_custom_parameter(name, map_column='custom_parameters') %}
    {{ return(adapter.dispatch('clickstream_custom_parameter', 'clickstream')(name, map_column)) }}
{% endmacro %}

{#- Redshift: the serialised object's case-sensitive path lookup, not SUPER navigation (map."name".value),
    which lower-cases the name unless enable_case_sensitive_super_attribute is on and so misses "productId". -#}
{% macro default__clickstream_custom_parameter(name, map_column) %}
    json_extract_path_text(json_serialize({{ map_column }}), '{{ name }}', 'value', true)
{%- endmacro %}

{% macro duckdb__clickstream_custom_parameter(name, map_column) %}
    {{ map_column }}['{{ name }}'].value
{%- endmacro %}

{% macro athena__clickstream_custom_parameter(name, map_column) %}
    element_at({{ map_column }}, '{{ name }}').value
{%- endmacro %}

{#- Columns for the parameters listed in var clickstream__custom_parameters
    ([{name, value_type: string|number|boolean, rename_to}]): each parameter cast to its type, named
    rename_to or `cp_<name>`. Renders nothing when the list is empty. -#}
{% macro clickstream_custom_parameter_columns() %}
    {%- set types = {'string': dbt.type_string(), 'number': dbt.type_float(), 'boolean': 'boolean'} -%}
    {%- for parameter in var('clickstream__custom_parameters') %}
        {%- set value_type = parameter.get('value_type', 'string') -%}
        {%- if value_type not in types -%}
            {{ exceptions.raise_compiler_error(
                "clickstream__custom_parameters: value_type of " ~ parameter.name ~ " must be string, number or boolean"
            ) }}
        {%- endif %}
        cast({{ clickstream_custom_parameter(parameter.name) }} as {{ types[value_type] }})
            as {{ parameter.get('rename_to') or 'cp_' ~ parameter.name }},
    {%- endfor %}
{%- endmacro %}

{#- Names of the columns clickstream_custom_parameter_columns() adds. -#}
{% macro clickstream_custom_parameter_names() %}
    {%- set names = [] -%}
    {%- for parameter in var('clickstream__custom_parameters') -%}
        {%- do names.append(parameter.get('rename_to') or 'cp_' ~ parameter.name) -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}
