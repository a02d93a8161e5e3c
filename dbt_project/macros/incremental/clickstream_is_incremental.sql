{#- dbt's is_incremental() with an offline mode: with var clickstream__offline_incremental set (true or
    false) it answers that value without looking the table up, so Redshift and Athena models compile in
    CI with no warehouse connection. A named helper rather than an override of is_incremental(), so a
    model that calls dbt's own macro gets dbt's behaviour. -#}
{% macro clickstream_is_incremental() %}
    {%- set offline = var('clickstream__offline_incremental', none) -%}
    {%- if offline is not none -%}
        {{ return(offline | as_bool) }}
    {%- endif -%}
    {{ return(is_incremental()) }}
{% endmacro %}
