{#- Daily report models: a run rebuilds every local day from the earliest event of the run on, so
    each rebuilt day is computed whole. A pre-hook deletes those days (all of them, including days
    that end up with no rows) and the new rows are appended, on every engine (Athena: Iceberg,
    partitioned by day). Tagged like the session models, so the manifest does not advance past a
    run whose reports failed, and the next run rebuilds the same days. -#}
{% macro clickstream_report_config() %}
    {{ return(adapter.dispatch('clickstream_report_config', 'clickstream')()) }}
{% endmacro %}

{% macro default__clickstream_report_config() %}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'append_new_columns',
        'pre_hook': ["{{ clickstream_report_delete_days() }}"],
        'tags': ['clickstream_incremental'],
    }) }}
{% endmacro %}

{% macro redshift__clickstream_report_config() %}
    {%- set settings = default__clickstream_report_config() -%}
    {%- do settings.update({'sort': ['event_date'], 'dist': 'even'}) -%}
    {{ return(settings) }}
{% endmacro %}

{% macro athena__clickstream_report_config() %}
    {%- set settings = default__clickstream_report_config() -%}
    {%- do settings.update({'table_type': 'iceberg', 'partitioned_by': ['event_date']}) -%}
    {{ return(settings) }}
{% endmacro %}

{#- The pre-hook: delete the days this run rebuilds (nothing on a first build or full refresh). -#}
{% macro clickstream_report_delete_days() %}
    {%- if clickstream_is_incremental() -%}
        delete from {{ this }} where {{ clickstream_report_days() }}
    {%- endif -%}
{% endmacro %}

{#- A where-clause on `date_column` keeping the days this run rebuilds (everything on a full build). -#}
{% macro clickstream_report_days(date_column='event_date') %}
    {%- set this_run = ref('int_events_this_run') -%}
    {%- if clickstream_is_incremental() -%}
        {{ date_column }} >= (select min(event_date) from {{ this_run }})
    {%- else -%}
        1 = 1
    {%- endif -%}
{% endmacro %}

{#- 'source / medium' of two traffic columns. The original joins them with ||, which is NULL as soon as
    one part is: that hides every user whose medium is unknown (all Direct traffic) in one blank row.
    Here a missing part is left empty ('Direct / ') and the pair is NULL only when both are. -#}
{% macro clickstream_source_medium(source, medium) %}
    {{- return(
        'case when ' ~ source ~ ' is null and ' ~ medium ~ ' is null then null else '
        ~ dbt.concat(["coalesce(" ~ source ~ ", '')", "' / '", "coalesce(" ~ medium ~ ", '')"]) ~ ' end'
    ) -}}
{% endmacro %}

{#- The original's traffic dimensions of acquisition reports: (aggregation_type literal, expression). -#}
{% macro clickstream_traffic_dimensions() %}
    {{ return([
        ('Session Traffic Source', 'session_source'),
        ('Session Traffic Medium', 'session_medium'),
        ('Session Traffic Source / Medium', clickstream_source_medium('session_source', 'session_medium')),
        ('Session Traffic Campaign', 'session_campaign'),
        ('Session Traffic Channel Group', 'session_channel_group'),
        ('Session Traffic Clid Platform', 'session_clid_platform'),
        ('User First Traffic Source', 'first_traffic_source'),
        ('User First Traffic Medium', 'first_traffic_medium'),
        ('User First Traffic Source / Medium', clickstream_source_medium('first_traffic_source', 'first_traffic_medium')),
        ('User First Traffic Campaign', 'first_traffic_campaign'),
        ('User First Traffic Channel Group', 'first_traffic_channel_group'),
        ('User First Traffic Clid Platform', 'first_traffic_clid_platform'),
        ('App First Install Source', 'first_app_install_source'),
    ]) }}
{% endmacro %}

{#- The columns the traffic dimensions read: what a report keeps per user or session before grouping. -#}
{% macro clickstream_traffic_dimension_columns() %}
    {{ return([
        'session_source', 'session_medium', 'session_campaign', 'session_channel_group', 'session_clid_platform',
        'first_traffic_source', 'first_traffic_medium', 'first_traffic_campaign', 'first_traffic_channel_group',
        'first_traffic_clid_platform', 'first_app_install_source',
    ]) }}
{% endmacro %}

{#- The original's page and screen dimensions: (aggregation_type literal, the view event it counts, the
    column). View counts keep the views whose value is NULL as a NULL row (a page without a title is
    still a page view, as in the original); entrances and exits leave them out, as the original. -#}
{% macro clickstream_view_dimensions() %}
    {{ return([
        ('Page Title', '_page_view', 'page_view_page_title'),
        ('Page URL Path', '_page_view', 'page_view_page_url_path'),
        ('Screen Name', '_screen_view', 'screen_view_screen_name'),
        ('Screen Class', '_screen_view', 'screen_view_screen_id'),
    ]) }}
{% endmacro %}

{#- Sessions per day that started (entrance) or ended (exit) on each page or screen, by every view
    dimension: the original's clickstream_engagement_entrance and _exit share all but the flag. -#}
{% macro clickstream_session_boundary_report(flag_column, count_column) %}
with views as (

    select *
    from {{ ref('fct_page_screen_views') }}
    where {{ flag_column }} and {{ clickstream_report_days() }}

)

{%- for aggregation_type, view_event, column in clickstream_view_dimensions() %}
    select
        app_id,
        platform,
        '{{ aggregation_type }}' as aggregation_type,
        {{ column }} as aggregation_dim,
        count(*) as {{ count_column }},
        event_date
    from views
    where event_name = '{{ view_event }}' and {{ column }} is not null
    group by app_id, platform, {{ column }}, event_date
    {%- if not loop.last %}
        union all
    {%- endif %}
{%- endfor %}
{% endmacro %}

{#- The text under `key` of a map<string, string> column (a SUPER object on Redshift), NULL when absent:
    rpt_event_view's device_ua_string is device_ua's `string`, the raw user agent. -#}
{% macro clickstream_map_text(map_column, key) %}
    {{ return(adapter.dispatch('clickstream_map_text', 'clickstream')(map_column, key)) }}
{% endmacro %}

{% macro default__clickstream_map_text(map_column, key) %}
    json_extract_path_text(json_serialize({{ map_column }}), '{{ key }}', true)
{%- endmacro %}

{% macro duckdb__clickstream_map_text(map_column, key) %}
    {{ map_column }}['{{ key }}']
{%- endmacro %}

{% macro athena__clickstream_map_text(map_column, key) %}
    element_at({{ map_column }}, '{{ key }}')
{%- endmacro %}
