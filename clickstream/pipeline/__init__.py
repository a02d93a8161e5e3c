"""The pipeline layer: the stages of a cycle, the schedule, the demo; it returns results and prints nothing.

It composes the stages (``etl``, ``loader``, the dbt side, ``quicksight``) into a cycle and records each
cycle in the run history. Progress and problems go to an observer the caller passes in
(:mod:`clickstream.pipeline.observer`): the CLI renders them with Rich, a test passes none and reads the
returned results. Only the CLI sits above this layer; the stages and the core never import it.
"""
