{#- One row per item of a distinct event (item_v2 parity), for events kept in fct_events. -#}
with items as (

    select * from {{ ref('stg_clickstream__event_items') }}

),

events as (

    select
        event_id,
        app_id,
        event_date,
        session_key
    from {{ ref('fct_events') }}

),

ranked as (

    select
        items.*,
        row_number() over (
            partition by items.event_item_key
            order by items.event_timestamp asc, items.user_pseudo_id asc
        ) as duplicate_rank
    from items

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
