{#- dbt's is_incremental(), plus an offline mode: with var clickstream__offline_incremental set
    (true or false) it answers that value without looking the table up, so Redshift and Athena
    models compile in CI with no warehouse connection. -#}
{% macro is_incremental() %}
    {%- set offline = var('clickstream__offline_incremental', none) -%}
    {%- if offline is not none -%}
        {{ return(offline | as_bool) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(this.database, this.schema, this.table) -%}
    {{ return(
        relation is not none
        and relation.type == 'table'
        and model.config.materialized == 'incremental'
        and not should_full_refresh()
    ) }}
{% endmacro %}
