{#- Rendered between `as` and `(` of a CTE that only selects from a wide relation and is referenced
    more than once. DuckDB materialises such a CTE, all of its columns, before the first reader;
    `not materialized` lets each reference scan just the columns it needs (decision 24). Other
    engines plan CTEs themselves: nothing is rendered there. -#}
{% macro clickstream_inline_cte() %}
    {{ return(adapter.dispatch('clickstream_inline_cte', 'clickstream')()) }}
{% endmacro %}

{% macro default__clickstream_inline_cte() %}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__clickstream_inline_cte() %}
    {{ return('not materialized') }}
{% endmacro %}
