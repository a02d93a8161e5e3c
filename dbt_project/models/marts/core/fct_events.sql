{#- One row per distinct event_id: duplicates from SDK retries removed, the earliest ingest wins. -#}
with events as (

    select * from {{ ref('stg_clickstream__events') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by event_id
            order by
                ingest_time_msec asc nulls last,
                event_bundle_sequence_id asc nulls last,
                app_id asc,
                user_pseudo_id asc,
                event_time_msec asc
        ) as duplicate_rank
    from events

)

select
    {%- for column in clickstream_source_columns('event_v2') %}
        {{ column }},
    {%- endfor %}
    event_date,
    session_key,
    user_key
from ranked
where duplicate_rank = 1
