{#- What each incremental model has processed: the ingest time (epoch ms) up to which its last
    successful run read. Created empty; rows are written by the on-run-end hook
    clickstream_update_manifest, for the models that succeeded. A --full-refresh empties it. -#}
{{ config(materialized='incremental', unique_key='model_name', tags=['clickstream_engine']) }}

select
    cast(null as {{ dbt.type_string() }}) as model_name,
    cast(null as {{ dbt.type_bigint() }}) as last_success_msec
where 1 = 0
