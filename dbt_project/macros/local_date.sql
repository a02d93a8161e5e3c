{#- The date of a UTC timestamp in the app's reporting timezone.

    Timezones come from var clickstream__app_timezones ({app_id: tz}), falling back to
    clickstream__timezone. Engine differences live in the dispatched implementations. -#}
{% macro clickstream_local_date(timestamp_column, app_id_column) %}
    {%- set default_tz = var('clickstream__timezone') -%}
    {%- set per_app = clickstream_mapping_var('clickstream__app_timezones') -%}
    {%- if per_app | length == 0 -%}
        {{ adapter.dispatch('clickstream_date_in_timezone', 'clickstream')(timestamp_column, default_tz) }}
    {%- else -%}
        case {{ app_id_column }}
        {%- for app_id, tz in per_app.items() %}
            when '{{ app_id }}' then {{ adapter.dispatch('clickstream_date_in_timezone', 'clickstream')(timestamp_column, tz) }}
        {%- endfor %}
            else {{ adapter.dispatch('clickstream_date_in_timezone', 'clickstream')(timestamp_column, default_tz) }}
        end
    {%- endif -%}
{% endmacro %}

{% macro default__clickstream_date_in_timezone(timestamp_column, tz) %}
    cast(convert_timezone('UTC', '{{ tz }}', {{ timestamp_column }}) as date)
{% endmacro %}

{#- DuckDB's timezone(tz, x) turns an instant (TIMESTAMPTZ) into tz's wall clock, but reads a TIMESTAMP
    without zone as tz's wall clock and returns the instant: the opposite direction. The argument is
    made an instant from its epoch first, so a UTC timestamp gives the same local date whichever of
    the two types a loader wrote (and whatever the session's TimeZone setting). -#}
{% macro duckdb__clickstream_utc_instant(timestamp_column) %}
    make_timestamptz(epoch_us({{ timestamp_column }}))
{% endmacro %}

{% macro duckdb__clickstream_date_in_timezone(timestamp_column, tz) %}
    cast(timezone('{{ tz }}', {{ duckdb__clickstream_utc_instant(timestamp_column) }}) as date)
{% endmacro %}

{% macro athena__clickstream_date_in_timezone(timestamp_column, tz) %}
    date(at_timezone({{ timestamp_column }}, '{{ tz }}'))
{% endmacro %}

{#- The wall-clock time (a timestamp without zone) of a UTC timestamp in the app's reporting timezone,
    truncated to the hour: the original's intra-day report groups by the local hour. -#}
{% macro clickstream_local_hour(timestamp_column, app_id_column) %}
    {%- set default_tz = var('clickstream__timezone') -%}
    {%- set per_app = clickstream_mapping_var('clickstream__app_timezones') -%}
    {%- set local = adapter.dispatch('clickstream_hour_in_timezone', 'clickstream') -%}
    {%- if per_app | length == 0 -%}
        {{ local(timestamp_column, default_tz) }}
    {%- else -%}
        case {{ app_id_column }}
        {%- for app_id, tz in per_app.items() %}
            when '{{ app_id }}' then {{ local(timestamp_column, tz) }}
        {%- endfor %}
            else {{ local(timestamp_column, default_tz) }}
        end
    {%- endif -%}
{% endmacro %}

{% macro default__clickstream_hour_in_timezone(timestamp_column, tz) %}
    date_trunc('hour', convert_timezone('UTC', '{{ tz }}', {{ timestamp_column }}))
{% endmacro %}

{% macro duckdb__clickstream_hour_in_timezone(timestamp_column, tz) %}
    date_trunc('hour', timezone('{{ tz }}', {{ duckdb__clickstream_utc_instant(timestamp_column) }}))
{% endmacro %}

{% macro athena__clickstream_hour_in_timezone(timestamp_column, tz) %}
    date_trunc('hour', cast(at_timezone({{ timestamp_column }}, '{{ tz }}') as timestamp))
{% endmacro %}
