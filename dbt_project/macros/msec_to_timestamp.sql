{#- A UTC timestamp from epoch milliseconds (a bigint column or expression). -#}
{% macro clickstream_msec_to_timestamp(msec) %}
    {{ return(adapter.dispatch('clickstream_msec_to_timestamp', 'clickstream')(msec)) }}
{% endmacro %}

{% macro default__clickstream_msec_to_timestamp(msec) %}
    (timestamp 'epoch' + ({{ msec }}) / 1000.0 * interval '1 second')
{% endmacro %}

{% macro duckdb__clickstream_msec_to_timestamp(msec) %}
    to_timestamp(({{ msec }}) / 1000.0)
{% endmacro %}

{% macro athena__clickstream_msec_to_timestamp(msec) %}
    from_unixtime(({{ msec }}) / 1000.0)
{% endmacro %}
