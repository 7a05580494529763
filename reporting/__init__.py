"""The run report: one self-contained HTML page over a job's output directory.

``outputs`` finds and reads the record files (batch, ``dt=`` partitions, the streaming
job's ``latest/`` snapshot; Avro, JSON Lines or Parquet), ``tables`` turns records into
the figures the page shows (pure functions, capped for large runs), ``charts`` builds the
Vega-Lite map and timelines, and ``page`` writes the HTML with everything inlined: the
charting library, the world basemap (``data/``) and the data. ``pipelines/report.py``
is the command that wires them.
"""
