{#- One row per item of a distinct event (item_v2 parity), for the events rebuilt in this run. An
    item listed twice in one event is kept once, as the original does. -#}
{{ config(**clickstream_incremental_config(
    'event_item_key', date_column='event_date', sort=['event_date', 'event_id'], dist='event_id'
)) }}

with events as (

    select
        event_id,
        app_id,
        event_date,
        session_key
    from {{ ref('int_events_this_run') }}

),

bounds as (

    select
        min(event_timestamp) as min_event_timestamp,
        max(event_timestamp) as max_event_timestamp
    from {{ ref('int_events_this_run') }}

),

ranked as (

    select
        items.*,
        row_number() over (
            partition by items.event_item_key
            order by items.event_timestamp asc, items.user_pseudo_id asc
        ) as duplicate_rank
    from {{ ref('stg_clickstream__event_items') }} as items
    inner join bounds
        on items.event_timestamp between bounds.min_event_timestamp and bounds.max_event_timestamp

)

select
    {%- for column in clickstream_source_columns('item_v2') %}
        ranked.{{ column }},
    {%- endfor %}
    ranked.event_item_key,
    events.event_date,
    events.session_key
from ranked
inner join events
    on ranked.event_id = events.event_id and ranked.app_id = events.app_id
where ranked.duplicate_rank = 1
