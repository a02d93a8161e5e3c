{#- The engaged-session rule, overridable by dispatch, as the original defines it: a session is engaged
    when it lasted more than clickstream__engaged_session_min_seconds (the original: more than 10000 ms)
    or had at least clickstream__engaged_session_min_views page or screen views (the original: more
    than 1). fct_sessions applies it to the whole session; the daily reports (rpt_engagement__kpi,
    rpt_acquisition__day_user_acquisition) to each day's part of it, from that day's events only. -#}
{% macro clickstream_is_engaged_session(duration_msec, views) %}
    {{ return(adapter.dispatch('clickstream_is_engaged_session', 'clickstream')(duration_msec, views)) }}
{% endmacro %}

{% macro default__clickstream_is_engaged_session(duration_msec, views) %}
    (
        coalesce({{ duration_msec }}, 0) > {{ var('clickstream__engaged_session_min_seconds') }} * 1000
        or coalesce({{ views }}, 0) >= {{ var('clickstream__engaged_session_min_views') }}
    )
{% endmacro %}
