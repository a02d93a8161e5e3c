{#- Vars that dbt_project.yml reads from the environment arrive as strings (dbt renders them as text);
    --vars and unit tests give them typed. These helpers accept both, so each var has one meaning. -#}

{#- A var that may be null: null, an empty string, 'none' or 'null' are null. -#}
{% macro clickstream_optional_var(name) %}
    {%- set value = var(name, none) -%}
    {%- if value is string and value | trim | lower in ('', 'none', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}

{#- A mapping var: a mapping as given, or a JSON object in a string (empty: no entries). -#}
{% macro clickstream_mapping_var(name) %}
    {%- set value = var(name) -%}
    {%- if value is string -%}
        {%- set parsed = fromjson(value) if value | trim else {} -%}
        {%- if parsed is not mapping -%}
            {{ exceptions.raise_compiler_error(name ~ " must be a JSON object, got '" ~ value ~ "'") }}
        {%- endif -%}
        {{ return(parsed) }}
    {%- endif -%}
    {{ return(value or {}) }}
{% endmacro %}
