"""The news-feed processor's transforms, one package per stage of the flow.

    io/ → clean/ → text/ → entities/ → events/        (shared by the batch and streaming jobs)
                                         streaming/   (what a never-ending feed adds)

``records.py`` (typed records between stages) and ``dates.py`` (every date parser) sit
at the bottom; a package imports only from packages before it in this list.
"""
