"""What the streaming job adds around the shared middle: never-ending feeds
(``feeds``), event time and lateness (``event_time``), stateful de-duplication
(``dedup``) and clustering (``clusters``), windowed counts (``windows``), pane files
(``panes``) and progress logs (``progress``). Records in ``records``."""
