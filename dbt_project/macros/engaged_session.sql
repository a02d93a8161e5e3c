{#- The engaged-session rule, overridable by dispatch: a session is engaged when it lasted at least
    clickstream__engaged_session_min_seconds or had at least clickstream__engaged_session_min_views
    page or screen views (the original's definition). -#}
{% macro clickstream_is_engaged_session(duration_msec, views) %}
    {{ return(adapter.dispatch('clickstream_is_engaged_session', 'clickstream')(duration_msec, views)) }}
{% endmacro %}

{% macro default__clickstream_is_engaged_session(duration_msec, views) %}
    (
        coalesce({{ duration_msec }}, 0) >= {{ var('clickstream__engaged_session_min_seconds') }} * 1000
        or {{ views }} >= {{ var('clickstream__engaged_session_min_views') }}
    )
{% endmacro %}
