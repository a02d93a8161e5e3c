{#- One row: the window of ingest time (epoch ms) this run processes, chosen from the manifest.
    * fresh install or --full-refresh (no model in the manifest), or an incremental model the
      manifest does not know yet: from clickstream__start_date, or the oldest loaded event when later;
    * otherwise from the earliest model's last success minus clickstream__lookback_window_hours
      (also when models are out of sync after a failure: the late one catches up, the others redo
      the window, which the keyed upserts make harmless).
    A first build (fresh, or a new model) reaches the newest loaded event: a full refresh never leaves
    a backlog behind. Later runs reach at most clickstream__backfill_limit_days past the last success,
    which bounds their cost; when that leaves a backlog the on-run-end hook warns how many runs remain.
    The upper limit is never past the newest loaded event, so it is the same however often dbt runs. -#}
{{ config(materialized='table', tags=['clickstream_engine']) }}

{%- set models = clickstream_incremental_models() %}

with manifest as (

    select
        count(*) as models_found,
        min(last_success_msec) as min_last_success_msec,
        max(last_success_msec) as max_last_success_msec
    from {{ ref('int_incremental_manifest') }}
    where model_name in (
        {%- for name in models %}
            '{{ name }}'{% if not loop.last %},{% endif %}
        {%- endfor %}
        {%- if models | length == 0 %}
            ''
        {%- endif %}
    )

),

loaded as (

    select
        min({{ clickstream_ingest_msec() }}) as min_ingest_msec,
        max({{ clickstream_ingest_msec() }}) as max_ingest_msec
    from {{ source('clickstream', 'event_v2') }}

),

starts as (

    select
        manifest.*,
        loaded.*,
        case
            when loaded.min_ingest_msec > {{ clickstream_start_msec() }} then loaded.min_ingest_msec
            else {{ clickstream_start_msec() }}
        end as first_msec
    from manifest
    cross join loaded

),

limits as (

    select
        case
            when models_found = 0 then 'fresh'
            when models_found < {{ models | length }} then 'new model'
            when min_last_success_msec <> max_last_success_msec then 'out of sync'
            else 'standard'
        end as run_case,
        case
            when models_found < {{ models | length }} then first_msec
            else min_last_success_msec - {{ var('clickstream__lookback_window_hours') | int * 3600000 }}
        end as lower_limit_msec,
        case
            when models_found < {{ models | length }} then max_ingest_msec
            else min_last_success_msec + {{ clickstream_days_msec('clickstream__backfill_limit_days') }}
        end as backfill_end_msec,
        max_ingest_msec
    from starts

)

select
    run_case,
    lower_limit_msec,
    case
        when max_ingest_msec < backfill_end_msec then max_ingest_msec else backfill_end_msec
    end as upper_limit_msec,
    coalesce(max_ingest_msec >= lower_limit_msec, false) as has_new_events,
    max_ingest_msec as newest_ingest_msec
from limits
